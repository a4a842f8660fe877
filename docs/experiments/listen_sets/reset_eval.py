import sys, os
sys.path.insert(0, os.path.dirname(__file__))
import spotter_reset  # noqa: F401  (RESET=1)
exec(open(__import__("os").path.join(__import__("os").path.dirname(__file__), "sets_eval.py")).read())
