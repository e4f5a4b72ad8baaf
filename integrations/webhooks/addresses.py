"""Where an endpoint may point (SSRF): public addresses only, checked after DNS.

A URL is checked when it is saved and again before every send, on the addresses
its host resolves to then (a name can be re-pointed at 127.0.0.1 after saving).
The send connects to the address that was checked, not to a second lookup's.
``WEBHOOKS_ALLOW_PRIVATE`` lets loopback and private networks through (tests,
an on-premises receiver).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def resolve(url: str) -> tuple[str, int, str]:
    """``(host, port, address)`` to connect to for ``url``; ValidationError (on "url")
    when the host does not resolve or resolves to an address webhooks may not reach."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise ValidationError({"url": "Enter a full address, like https://example.com/hooks."})
    try:
        port = parts.port or 443
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as error:
        raise ValidationError({"url": f"{host} cannot be resolved ({error})."}) from error
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
    if not settings.WEBHOOKS_ALLOW_PRIVATE:
        blocked = [str(address) for address in addresses if _refused(address)]
        if blocked:
            raise ValidationError(
                {
                    "url": f"{host} resolves to {', '.join(dict.fromkeys(blocked))}, a "
                    "loopback, private or reserved address: webhooks go to public addresses only."
                }
            )
    return host, port, str(addresses[0])
