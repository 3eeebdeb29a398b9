"""The Disentanglement page's pieces: `figures` (pure Plotly builders), `url` (its URL
state, pure parsing) and `views` (Streamlit: cached scores and traversals, and drawing)."""
