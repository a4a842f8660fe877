"""The glasses side of the link: emulated display controller, camera, mic, IMU and buttons.

Nothing here yet: the link protocol is not built. The simulator's ``sim:`` devices stand in.
"""
