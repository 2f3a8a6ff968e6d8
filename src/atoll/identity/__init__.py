"""Identity: how people arrive, change and leave beyond a password an admin typed.

Single sign-on (OpenID Connect, SAML 2.0), SCIM 2.0 provisioning, invitations and password
reset. It sits above ``spaces``: an invitation puts an external straight into a hybrid space,
SSO groups map to spaces and SCIM groups are units. Below it, ``people`` keeps the persons,
their credentials and sessions; identity only ever changes them through people's services."""
