"""Set-up scripts the browser tests run against the servers' database (``run_script``)."""

# A client "Globex" by Ada (argv[1]), its chat room, with Ben (argv[2]) in it.
CLIENT_ROOM = """
from chat import services as chat
ada = User.objects.get(pk=int(sys.argv[1]))
ben = User.objects.get(pk=int(sys.argv[2]))
client = services.create_client(actor=ada, name="Globex", domain="globex.example")
room = chat.open_client_room(client=client)
chat.join_room(actor=ben, room=room)
print(json.dumps({"room": room.pk, "client": client.pk}))
"""
