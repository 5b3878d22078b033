"""The provider-neutral engine. Imports neither google-genai, pandas nor ipywidgets."""
