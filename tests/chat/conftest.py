"""The chat fixtures (tests/chat/factories.py), for every test module here."""

from tests.chat.factories import acme_room, ada, ana, ben, cy, dm, private_room, public_room

__all__ = ["acme_room", "ada", "ana", "ben", "cy", "dm", "private_room", "public_room"]
