from allauth.account.adapter import DefaultAccountAdapter


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    """Public sign-up is off: accounts are created by accepting an invitation."""

    def is_open_for_signup(self, request) -> bool:
        return False
