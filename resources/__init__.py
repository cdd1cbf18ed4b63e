"""Bundled resources (icons, models). Installed as srgan_studio.resources."""
