"""Thin launcher: settings → Gradio app → launch. `python app.py` serves on 127.0.0.1:7860."""

from assistant.settings import Settings
from assistant.ui import launch

if __name__ == "__main__":
    launch(Settings.from_env())
