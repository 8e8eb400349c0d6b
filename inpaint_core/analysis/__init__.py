"""Why the settings matter: latent cells and drift (cells.py), each sampler's view of the noise mask
(samplers.py), grey-halo counts for every amount at once (distance.py, view_support.py, halo_counts.py),
the amount to set (recommend.py) and the page's report (report.py)."""
