"""Public enrolment: the join page behind a program's public slug, its QR codes, consent."""
