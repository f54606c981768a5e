# The Hydra configs of net221, shipped inside the package as `net221.configs`.
