"""Explore's "Download as a web page" button (button.py); the page itself is built by
aae_core.web.take_home, which has no streamlit."""
