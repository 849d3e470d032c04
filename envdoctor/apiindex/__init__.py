"""The API index: which modules and names each mindspore / mindnlp release really has.

- :mod:`envdoctor.apiindex.model`: the data and its JSON file (``api_index.json``);
- :mod:`envdoctor.apiindex.reader`: reads a wheel, folder or git ref with :mod:`ast`;
- :mod:`envdoctor.apiindex.fetch`: finds the wheels or fetches them with ``pip download``;
- :mod:`envdoctor.apiindex.command`: ``envdoctor matrix api-index``.

Nothing here imports the packages it indexes. Submodules are imported on use, so
``envdoctor --help`` does not pay for them.
"""

__all__ = []  # type: list
