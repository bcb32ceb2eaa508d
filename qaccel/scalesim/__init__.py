"""SCALE-Sim 3 (PyPI ``scalesim``) run on the network's convolutions: its inputs, the runner that its
own virtual environment executes, and its reports read back beside the core's cycles."""
