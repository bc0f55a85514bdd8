"""Everything about talking to Google on a user's behalf, and nothing about what the other apps do with it.

- ``errors``: ``GoogleApiError(kind, status, reason, retry_after)``, the one error every Google failure is
  graded into (``GoogleErrorKind``), and the grading itself. The only module that knows ``HttpError``.
- ``grant``: the user's grant in ``accounts.GoogleCredential``: storing it from sign-in, credentials that
  refresh and save it, losing it (``invalid_grant``), revoking and disconnecting it, re-encrypting it under
  a new key. Sends ``accounts.signals.google_access_ended`` when access ends.
- ``client``: ``google_service`` (an authorised googleapiclient service) and ``execute``, which runs a
  request or batch with the one retry policy and raises only ``GoogleApiError``.
- ``backend``: the social-auth backend and the accounts steps of ``SOCIAL_AUTH_PIPELINE``.

Gmail (``emailsync.sources.gmail``) and Google Calendar (``tasks_app.calendars.google``) build on ``client`` and map
``GoogleErrorKind`` onto their seam's errors; sign-in reaches them through their own pipeline steps.
"""
