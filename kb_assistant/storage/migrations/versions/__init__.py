"""Revisions: `<branch>_r<N>.py`, revision id `<branch>_r<N>`, each branch's first one carries
the branch label."""
