"""The ``techmatch`` command's sub-commands, one module each (registered in service.cli)."""
