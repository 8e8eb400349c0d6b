"""Any preparation by name on the page: what either main column holds (columns.py), the third column and
/prepare (third_column.py), settings as JSON and /compare's methods (settings.py), and any preparation's
panels, downloads (panels.py) and numbers (numbers.py)."""
