"""The Textual face of the workbench: screens and widgets over `workbench.service`.

Only this package imports `textual`; it holds no domain logic of its own.
"""
