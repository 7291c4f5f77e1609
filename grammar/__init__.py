"""The .lpu text: its lark grammar, the frontend that reads it and the target that prints it."""
