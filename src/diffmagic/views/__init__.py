"""Views of a `Comparison`: text and HTML tables, LaTeX, the matplotlib figure.

Views only read a comparison; they never compute derivatives.
"""
