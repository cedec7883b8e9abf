"""A known-error database and the incident reports that should (or should not) hit it.

Shared data for tests/domain/test_known_error_matching.py (and anyone else who needs a
realistic known-error database): 16 known errors, 15 over the example company's services
(bot/example/deskbot.yaml: vpn, wifi, email, laptop) and one with no service, and 52
incident reports, each with the known error that `domain.problems.match_known_error` must
offer for it (or None).

The rules the expectations follow (domain/problems/intake.py, search.py): an incident's
words are the first 8 distinct words of "title description" (letters and digits, longer
than one character, no English stop word); an *active* known error matches when its title
and symptoms share at least 2 of them (3 when the incident names no service), it is of the
incident's service (when one is named: a known error with no service then never matches),
and of the incident's category or of none. The best match wins.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownError:
    """A known error to publish: a problem is opened with it and its known error recorded."""

    slug: str
    title: str
    symptoms: str
    workaround: str
    root_cause: str = ""
    service: str | None = None
    category: str | None = None
    active: bool = True  # False: its problem is resolved, so it is no longer offered


@dataclass(frozen=True)
class Report:
    """An incident as reported, and the known error it must be offered (`None`: none)."""

    name: str  # the test id
    title: str
    expect: str | None
    description: str = ""
    service: str | None = None
    category: str | None = None
    why: str = ""


KNOWN_ERRORS: tuple[KnownError, ...] = (
    KnownError(
        "vpn-sleep",
        "VPN drops after sleep",
        "The VPN tunnel disconnects when the laptop wakes from sleep or hibernation; the "
        "client shows Disconnected and intranet sites time out.",
        "Click Reconnect in the VPN tray icon, or restart the GlobalProtect service.",
        "Client 5.1 does not restart its keepalive timer after resume.",
        service="vpn",
        category="connectivity",
    ),
    KnownError(
        "vpn-mfa",
        "VPN sign-in rejects the MFA code",
        "The authenticator push never arrives and the six-digit code is rejected as expired "
        "when signing in to the VPN portal.",
        "Sync the phone's clock (Settings > Date & time > automatic), then use a fresh code.",
        "The RADIUS proxy allows 30 s of clock skew only.",
        service="vpn",
        category="authentication",
    ),
    KnownError(
        "vpn-slow",
        "VPN very slow on home broadband",
        "Downloads over the VPN crawl below 1 Mbit/s and file shares time out on some home "
        "routers.",
        "Switch the client to the TCP 443 gateway (vpn-tcp.example.com).",
        "Fragmented UDP packets dropped by routers with an MTU under 1400.",
        service="vpn",
        category="performance",
    ),
    KnownError(
        "wifi-floor3",
        "Wi-Fi keeps dropping on floor 3",
        "Laptops lose the CorpNet wireless network near the third-floor meeting rooms; "
        "access point AP-3F-07 reboots every few minutes.",
        "Use the wired desks or the 5 GHz network CorpNet-5 until the access point is replaced.",
        "AP-3F-07 overheats in the ceiling void.",
        service="wifi",
        category="connectivity",
    ),
    KnownError(
        "wifi-guest",
        "Guest Wi-Fi portal page never loads",
        "Visitors join the Guest network but the captive portal login page does not appear, "
        "so they never get online.",
        "Open http://neverssl.com in the browser to trigger the portal.",
        "Browsers pin HTTPS for the portal's probe address.",
        service="wifi",  # no category: it matches any wifi category
    ),
    KnownError(
        "outlook-password",
        "Outlook keeps asking for password after mailbox migration",
        "Since the move to Exchange Online, Outlook prompts for credentials again and again "
        "and never connects.",
        "Remove the cached credentials in Credential Manager and restart Outlook.",
        "Stale legacy authentication tokens from the old server.",
        service="email",
        category="mailbox",
    ),
    KnownError(
        "shared-calendar",
        "Shared calendars not updating",
        "Meetings added to a shared team calendar do not appear for the other members for hours.",
        "Remove the shared calendar and open it again from the address book.",
        "Cached mode syncs shared folders every 4 hours.",
        service="email",
        category="calendar",
    ),
    KnownError(
        "mail-quarantine",
        "Supplier invoices land in quarantine",
        "Emails from suppliers with PDF invoices are quarantined as spam and never reach the "
        "inbox.",
        "Release them from the quarantine portal and mark the sender as safe.",
        "The new spam filter scores PDF attachments from new senders too high.",
        service="email",
        category="spam",
    ),
    KnownError(
        "webmail-host",
        "Webmail unreachable from home",
        "The browser cannot resolve webmail.example.com outside the office.",
        "Use https://outlook.office.com instead until the public DNS record is fixed.",
        "The public DNS zone lost its record.",
        service="email",
        category="mailbox",
    ),
    KnownError(
        "printer-queue",
        "Print queue stuck on the floor 2 printer",
        "Print jobs stay in the queue with the status Error - Printing and nothing comes out "
        "of the printer.",
        "Restart the Print Spooler service, then send the job again.",
        "The spooler hangs on a corrupt job from the old driver.",
        service="laptop",
        category="peripherals",
    ),
    KnownError(
        "teams-camera",
        "Teams camera not detected",
        "Microsoft Teams shows no camera available in video calls after the Windows update, "
        "though the webcam works in other apps; sometimes the picture freezes randomly.",
        "In Teams, Settings > Devices: pick the camera again, or roll back the camera driver.",
        "The update installs a camera driver Teams cannot open.",
        service="laptop",
        category="software",
    ),
    KnownError(
        "disk-full",
        "Laptop disk full because of the OneDrive cache",
        "The C: drive shows low disk space with almost nothing free; the OneDrive cache "
        "grows until it fills the SSD.",
        "Right-click the OneDrive folder and choose Free up space.",
        "Files On-Demand was turned off by an old policy.",
        service="laptop",
        category="software",
    ),
    KnownError(
        "docking",
        "External monitors stay black on the docking station",
        "Both monitors connected through the USB-C dock show no signal after the laptop resumes.",
        "Unplug the dock for ten seconds and plug it in again.",
        "Dock firmware 1.2 loses DisplayPort links on resume.",
        service="laptop",
        category="hardware",
    ),
    KnownError(
        "battery",
        "Laptop battery drains overnight in sleep",
        "The battery is empty in the morning although the laptop was asleep; modern standby "
        "keeps it awake.",
        "Shut down instead of closing the lid, or choose Hibernate from the Start menu.",
        "Modern standby lets the network adapter wake the laptop.",
        service="laptop",
        category="hardware",
    ),
    KnownError(
        "sso-loop",
        "Single sign-on login loop",
        "The SSO login page redirects back to itself endlessly in the browser after entering "
        "the password.",
        "Clear the cookies of login.example.com or use a private window.",
        "Two session cookies with the same name after the identity provider upgrade.",
        # no service: the identity provider is not one of the desk's services
    ),
    KnownError(
        "expenses-crash",
        "Expenses app crashes when uploading receipts",
        "The expenses app closes without a message when a photo of a receipt is uploaded.",
        "Upload the receipt from the web version instead.",
        "A memory leak in version 3.2 of the app.",
        service="laptop",
        category="software",
        active=False,  # the fix shipped: its problem is resolved
    ),
)

SLUGS = frozenset(k.slug for k in KNOWN_ERRORS)

LONG_TEXT = " ".join(["lorem ipsum dolor sit amet consectetur"] * 3500)  # about 20,000 chars

REPORTS: tuple[Report, ...] = (
    # -- plain matches, inflected words ---------------------------------------------------
    Report(
        "vpn-dropped",
        "VPN dropped after my laptop went to sleep",
        "vpn-sleep",
        service="vpn",
    ),
    Report(
        "vpn-dropping",
        "VPN keeps dropping whenever the lid is closed",
        "vpn-sleep",
        description="it goes to sleep and the tunnel is gone",
        service="vpn",
        why="dropping ~ drops, and sleep: the words stem alike",
    ),
    Report(
        "vpn-disconnects-wake",
        "Tunnel disconnected when waking",
        "vpn-sleep",
        service="vpn",
        why="disconnected/disconnects, waking/wakes",
    ),
    Report(
        "vpn-right-category",
        "VPN drops after sleep",
        "vpn-sleep",
        service="vpn",
        category="connectivity",
    ),
    Report(
        "vpn-mfa",
        "Can't sign in to the VPN, MFA code rejected",
        "vpn-mfa",
        service="vpn",
        category="authentication",
    ),
    Report(
        "vpn-slow",
        "VPN is extremely slow from home",
        "vpn-slow",
        service="vpn",
        category="performance",
    ),
    Report(
        "wifi-3rd-floor",
        "Wifi keeps disconnecting on the 3rd floor",
        "wifi-floor3",
        service="wifi",
        why="keeps and floor (wifi is not wi-fi: one word against two)",
    ),
    Report(
        "wifi-hyphen",
        "Wi-Fi dropping near the third-floor meeting rooms",
        "wifi-floor3",
        service="wifi",
        category="connectivity",
    ),
    Report(
        "wifi-ke-without-category",
        "Guest portal page won't load",
        "wifi-guest",
        service="wifi",
        category="connectivity",
        why="a known error with no category matches every category of its service",
    ),
    Report(
        "outlook-prompting",
        "Outlook keeps prompting for my password since the migration",
        "outlook-password",
        service="email",
    ),
    Report(
        "calendar-updated",
        "Shared calendar not updated for the team",
        "shared-calendar",
        service="email",
        category="calendar",
        why="updated ~ updating, calendar ~ calendars",
    ),
    Report(
        "invoices-quarantined",
        "Supplier invoices quarantined as spam",
        "mail-quarantine",
        service="email",
    ),
    Report(
        "printer-stuck",
        "Printer queue stuck, nothing prints",
        "printer-queue",
        service="laptop",
        category="peripherals",
    ),
    Report("print-jobs", "print jobs stuck in the queue", "printer-queue", service="laptop"),
    Report(
        "teams-camera",
        "Camera not working in Teams calls",
        "teams-camera",
        service="laptop",
    ),
    Report("disk-full", "Disk full on my laptop", "disk-full", service="laptop"),
    Report(
        "ssd-filled",
        "Laptop's SSD filled up, no disk space left",
        "disk-full",
        service="laptop",
        category="software",
    ),
    Report(
        "batteries",
        "Batteries empty every morning",
        "battery",
        service="laptop",
        why="batteries ~ battery",
    ),
    # -- no service: three shared words ---------------------------------------------------
    Report(
        "no-service-three-words",
        "VPN drops after sleep",
        "vpn-sleep",
        why="no service: vpn, drops and sleep are three shared words",
    ),
    Report(
        "no-service-outlook",
        "Outlook asks for my password again and again",
        "outlook-password",
    ),
    Report(
        "no-service-two-words",
        "Guest portal shows a certificate error",
        None,
        why="no service: guest and portal are only two shared words",
    ),
    Report(
        "no-service-sso",
        "SSO login keeps looping back to the sign-in page",
        "sso-loop",
    ),
    Report(
        "sso-with-service",
        "SSO login keeps looping back to the sign-in page",
        None,
        service="vpn",
        why="a known error with no service is never offered for an incident naming one",
    ),
    # -- several candidates: the one sharing more words wins ------------------------------
    Report(
        "sleep-vpn-or-slow",
        "VPN slow after sleep",
        "vpn-sleep",
        description="the tunnel disconnects on wake",
        service="vpn",
        why="vpn-slow shares vpn and slow; vpn-sleep shares vpn, sleep, tunnel, disconnects, wake",
    ),
    Report(
        "battery-or-vpn",
        "Laptop drains the battery while asleep and VPN drops",
        "battery",
        why="battery: laptop, drains, battery, asleep; vpn-sleep: laptop, vpn, drops",
    ),
    Report(
        "monitors-after-resume",
        "Monitors black after resuming from sleep on the dock",
        "docking",
        service="laptop",
        category="hardware",
        why="docking shares monitors, black, resuming, dock; battery only sleep",
    ),
    # -- must not match -------------------------------------------------------------------
    Report(
        "other-service-same-words",
        "VPN drops after sleep",
        None,
        service="laptop",
        why="the words of vpn-sleep, but the laptop service: battery shares sleep only",
    ),
    Report(
        "wifi-not-vpn",
        "VPN drops after sleep",
        None,
        service="wifi",
        why="wifi-floor3 shares only drop(ping)",
    ),
    Report(
        "category-mismatch",
        "VPN drops after sleep",
        None,
        service="vpn",
        category="authentication",
        why="vpn-sleep is a connectivity known error; vpn-mfa shares only vpn",
    ),
    Report(
        "category-mismatch-printer",
        "Printer queue stuck",
        None,
        service="laptop",
        category="software",
    ),
    Report(
        "outlook-calendar-category",
        "Outlook password prompts",
        None,
        service="email",
        category="calendar",
    ),
    Report(
        "one-shared-word",
        "VPN icon missing from the taskbar",
        None,
        service="vpn",
        why="vpn is the only word shared with any vpn known error",
    ),
    Report(
        "inactive-known-error",
        "Expenses app crashes uploading a receipt",
        None,
        service="laptop",
        why="its known error's problem is resolved",
    ),
    Report("stop-words-only", "It's not what it was before", None, service="vpn"),
    Report("stop-words-and-one-word", "Why is it down again?", None, service="vpn"),
    Report("single-letters", "a b c d e f g", None, service="vpn"),
    # -- full-text syntax in the text -----------------------------------------------------
    Report(
        "fts-syntax",
        'printer OR queue* AND "stuck" NEAR(print, jobs) -error ^floor {title}: symptoms:x',
        "printer-queue",
        service="laptop",
    ),
    Report(
        "fts-syntax-mfa",
        'VPN: MFA "code" rejected* (NEAR/2) -expired ^push',
        "vpn-mfa",
        service="vpn",
    ),
    Report(
        "tsquery-syntax",
        "outlook & !password | migration <-> (prompts):* 'keeps':A",
        "outlook-password",
        service="email",
    ),
    Report(
        "sql-quote",
        "Outlook'; DROP TABLE known_errors; -- password migration",
        "outlook-password",
        service="email",
    ),
    Report("only-punctuation", '"*" -- ^ () : NEAR', None, service="vpn"),
    # -- long text ------------------------------------------------------------------------
    Report(
        "long-description",
        "VPN drops after sleep",
        "vpn-sleep",
        description=LONG_TEXT,
        service="vpn",
    ),
    Report(
        "key-words-too-late",
        "Help needed please",
        None,
        description="since this morning nobody in finance can work: the VPN drops after sleep",
        service="vpn",
        why="only the first 6 words count (help needed please since morning nobody): vpn, "
        "drops and sleep come later",
    ),
    Report(
        "key-words-just-in-time",
        "Help needed urgently please",
        "vpn-sleep",
        description="VPN drops after sleep since this morning",
        service="vpn",
        why="vpn and drops are words 5 and 6 (a report's first six words count)",
    ),
    # -- non-ASCII ------------------------------------------------------------------------
    Report("emoji", "🔥 VPN 🔥 drops 💤 after sleep", "vpn-sleep", service="vpn"),
    Report(
        "non-breaking-hyphen",
        "Wi\u2011Fi dropping on floor 3",
        "wifi-floor3",
        service="wifi",
    ),
    Report("cjk", "打印机无法使用", None, service="laptop"),
    Report(
        "german-title-english-words",
        "Drucker: print queue hängt (stuck)",
        "printer-queue",
        service="laptop",
    ),
    # -- where the engines' text processing differ (see the test module) ------------------
    Report(
        "adverb-random",
        "Camera goes black at random",
        None,
        service="laptop",
        why="a reader would say yes (camera, and 'freezes randomly'), but the porter stemmer "
        "both engines use makes 'randomly' randomli, not random: one shared word",
    ),
    Report(
        "host-name-in-symptoms",
        "Can't open webmail.example.com",
        "webmail-host",
        service="email",
        why="webmail, example, com are words of the known error's symptoms",
    ),
    Report(
        "superscript-digits",
        "VPN error ²²",
        None,
        service="vpn",
        why="vpn is the only real shared word: ²² is a word to Python and FTS5 (a digit), "
        "no word at all to PostgreSQL's parser",
    ),
    Report(
        "accented-camera",
        "Teams: caméra non détectée",
        "teams-camera",
        service="laptop",
        why="teams and camera (caméra): a reader sees the same word",
    ),
)
