"""IVR: call flows, DIDs and the FastAGI scripts that run them."""
