"""Thin launcher: settings → Gradio app → launch. `python app.py` serves on 127.0.0.1:7860."""

from assistant.ui import main

if __name__ == "__main__":
    main()
