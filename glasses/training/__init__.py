"""Training recipes for the small models we ship ourselves (run by hand, never in CI).

``python -m glasses.training.wake_word``: the "hey glasses" wake-word head (needs the ``train``
extra: ``pip install -e '.[train]'``).
"""
