"""What a reply may call besides the model: built-in actions that need the user, MCP servers' tools, skills, images.

Each tool is a `base.Tool` (its spec, how a call is shown, whether it waits for the user's permission, one call); the
engine (`engine/toolbox.py`) runs the calls. This layer sits beside `sources`: it talks to untrusted servers through
the same vetted fetching.
"""
