from django.dispatch import Signal

# Sent with `user` after someone registers on the sign-up page. rbac (which knows who may approve
# accounts) notifies those people; accounts itself does not know about roles.
user_registered = Signal()
