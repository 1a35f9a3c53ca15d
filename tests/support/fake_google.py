"""A faithful fake of Google's OAuth token endpoint and the Google Wallet REST API.

It is a real HTTP/1.1 server (standard library ``ThreadingHTTPServer``) on a loopback port, in
a background thread, that behaves like ``oauth2.googleapis.com/token`` and the loyalty part of
``walletobjects.googleapis.com/walletobjects/v1`` as Google documents them (discovery document
``walletobjects.v1`` rev 20260806, the Google Wallet guides). It also plays the Google Wallet
app: a simulated "save" verifies the save-link JWT and sends the issuer an ``ECv2SigningOnly``
signed callback.

Use it with google-auth as production does::

    with FakeGoogle(issuer_id="3388000000012345678") as google:
        info = google.new_service_account()          # token_uri = google.token_url
        with google.authorized_session(info) as http:  # an AuthorizedSession
            http.post(f"{google.api_url}/loyaltyClass", json=...)

Keep tests offline: google-auth (2.62) follows every token refresh of a service account with a
background "Regional Access Boundary" lookup, ``GET https://iamcredentials.googleapis.com/v1/
projects/-/serviceAccounts/<email>/allowedLocations`` with the bearer token, made through a deep
copy of the session that fetches tokens. ``authorized_session`` (or
``AuthorizedSession(creds, auth_request=google.auth_request()[0])``) sends that, and any other
request for Google's hosts (``GOOGLE_HOSTS``), to the fake, which answers the lookup with
``{"locations": [], "encodedLocations": "0x0"}``; a plain ``AuthorizedSession(creds)`` would
go to the internet. ``reroute(session)`` does the same for any requests session, so a client
can even keep Google's real URLs.

Endpoints
    ``POST /token`` (JWT-bearer grant), ``GET /keys`` (also ``/gp/m/issuer/keys``: the callback
    root keys), ``GET /gp/v/save/<jwt>`` (a simulated save, for end-to-end tests of save links),
    and under ``/walletobjects/v1``: ``loyaltyClass`` and ``loyaltyObject`` insert (POST), get
    (GET), update (PUT), patch (PATCH; ``X-HTTP-Method-Override: PATCH`` on a POST works too),
    list (GET with ``issuerId`` / ``classId``, ``maxResults``, ``token``) and
    ``{id}/addMessage`` (POST). There is no DELETE (Google has none): it answers 404.
    ``POST /batch``: Google's batch endpoint, a ``multipart/mixed`` body (a ``boundary``) of
    1 to 1,000 parts, each ``Content-Type: application/http`` with an optional
    ``Content-ID`` and one walletobjects call as HTTP (request line with a path under
    ``/walletobjects/v1``, headers, JSON body); anything else is 400 ``invalidArgument``. The
    outer bearer token authorizes every call; each call is answered as if sent alone (its
    own status, the rate limit and injected errors counted per call, recorded in
    ``requests``), in a ``multipart/mixed`` answer whose parts carry ``Content-ID:
    <response-...>``, in the reverse order (Google promises none). ``batches`` records the
    number of calls of each batch; ``inject_error(..., match="POST /batch")`` fails a batch
    as a whole.

Choices where Google documents nothing (a client must not depend on more than this):
    * Error bodies are ``{"error": {"code", "message", "errors": [{"message", "domain":
      "walletobjects", "reason"}], "status"}}``. Reasons: ``invalidArgument`` (400: the request
      itself: malformed JSON, unknown field, wrong JSON type, bad query parameter),
      ``invalidResource`` (400: a bad id or a bad value in the resource), ``permissionDenied``
      (403), ``resourceNotFound`` (404: no such class or object at that path),
      ``classNotFound`` (404: an object's ``classId`` names no class), ``duplicate`` (409,
      message "... already exists"), ``quotaExceeded`` (429: the notification cap),
      ``rateLimitExceeded`` (429: ``rate_limit`` requests per second), ``notFound`` (404: no
      such method, e.g. DELETE). 401s are Google's ``UNAUTHENTICATED`` body with
      ``WWW-Authenticate: Bearer``; a token without the wallet scope gets Google's 403
      ``insufficientPermissions``.
    * An object whose class does not exist: 404 ``classNotFound``; whose class is DRAFT: 400
      ``invalidResource``. ``reviewStatus`` APPROVED or REJECTED from the client: 400; once a
      class left DRAFT, DRAFT is 400; UNDER_REVIEW is stored (and answered) as APPROVED.
    * The notification cap (3 per object per rolling 24 hours, counted by ``clock``): the
      request that would be the 4th is answered 429 ``quotaExceeded`` and changes nothing.
      Notifying requests are addMessage with ``messageType: TEXT_AND_NOTIFY`` and PATCH/PUT with
      ``notifyPreference: NOTIFY_ON_UPDATE`` that change a field of ``object_notify_fields``
      (default ``loyaltyPoints.balance``, ``secondaryLoyaltyPoints.balance``, ``accountName``).
      Class-level notifying requests (class addMessage TEXT_AND_NOTIFY, or a class update that
      changes ``class_notify_fields``, default ``rewardsTier``, ``secondaryRewardsTier``) are
      never refused: they count against the quota of every saved object of the class that has
      quota left, and skip the others.
    * Validation follows the discovery schema: unknown fields and wrong JSON types are 400
      ``invalidArgument`` (as Google's JSON parser does), and the documented rules are 400
      ``invalidResource``: required fields, enums (canonicalised: ``qrCode`` is answered as
      ``QR_CODE``), the balance one-of, ``#rgb``/``#rrggbb``, Image ``sourceUri`` XOR
      ``privateImageId`` (an http(s) URI), link URIs with a scheme, at most 10 messages and 10
      merchantLocations, latitude/longitude ranges, text module ids without dots, ISO 8601
      dates with start <= end. The fake's own stricter choices: a barcode needs ``type`` and
      (unless TEXT_ONLY) ``value``; a message needs a header and a body. Images are not fetched.
    * PATCH merges objects recursively, ``null`` deletes a field, arrays are replaced whole; a
      ``balance`` is a one-of, so a PATCH of ``balance`` replaces it whole. PUT replaces the
      resource (a missing body ``id`` is taken from the path). Output-only fields sent back
      (``kind``, ``classReference``, ``hasUsers``, ``hasLinkedDevice``, ``review``) are ignored.
      Every object response carries ``classReference`` (the class as GET answers it) and
      ``hasUsers: true`` while the object is saved. ``int64`` fields are answered as strings.
    * Tokens: google-auth signs assertions with the wall clock, so the assertion's ``iat``/``exp``
      are checked against ``time.time()``; the tokens the fake issues expire by ``clock``. A
      missing scope is Google's 400 ``invalid_scope``. ``expire_all_tokens()`` forces 401s.
      google-auth refreshes early (3 min 45 s before expiry), so a ``token_lifetime`` below
      that makes it fetch a token before every request.
    * Callbacks are POSTed synchronously by ``save`` and ``delete_from_wallet`` (no retries;
      ``redeliver`` resends one unchanged, i.e. a duplicate nonce), only to loopback hosts
      unless ``allow_external_callbacks``. ``expTimeMillis`` is
      ``clock`` + ``callback_exp_ms``; the intermediate key is re-signed for every callback with
      ``keyExpiration`` = ``clock`` + ``intermediate_key_lifetime``.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime as dt
import ipaddress
import json
import re
import secrets
import socket
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2 import service_account
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

__all__ = [
    "API_PREFIX",
    "DEFAULT_ISSUER_ID",
    "DEFAULT_SENDER_ID",
    "GOOGLE_TOKEN_AUDIENCE",
    "PROTOCOL_VERSION",
    "WALLET_SCOPE",
    "GOOGLE_HOSTS",
    "CallbackDelivery",
    "FakeGoogle",
    "Notification",
    "RecordedRequest",
    "SaveRejected",
    "SaveResult",
    "make_service_account",
]

WALLET_SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"  # google-auth hard-codes it
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PROTOCOL_VERSION = "ECv2SigningOnly"
DEFAULT_SENDER_ID = "GooglePayPasses"
DEFAULT_ISSUER_ID = "3388000000012345678"
API_PREFIX = "/walletobjects/v1"
BATCH_PATH = "/batch"
MAX_BATCH_CALLS = 1000
SAVE_PREFIX = "/gp/v/save/"
#: Google's hosts that ``FakeGoogle.reroute`` sends to the fake, and whether to close each
#: connection after one request (google-auth deep-copies its token session for the background
#: Regional Access Boundary lookup on iamcredentials and never closes the copy).
GOOGLE_HOSTS = {
    "https://oauth2.googleapis.com/": False,
    "https://walletobjects.googleapis.com/": False,
    "https://iamcredentials.googleapis.com/": True,
    "https://pay.google.com/": False,
}
_ALLOWED_LOCATIONS_RE = re.compile(r"/v1/projects/-/serviceAccounts/([^/]+)/allowedLocations")

MAX_MESSAGES = 10
MAX_MERCHANT_LOCATIONS = 10
NOTIFICATION_LIMIT = 3
NOTIFICATION_WINDOW = 24 * 3600.0
OBJECT_NOTIFY_FIELDS = ("loyaltyPoints.balance", "secondaryLoyaltyPoints.balance", "accountName")
CLASS_NOTIFY_FIELDS = ("rewardsTier", "secondaryRewardsTier")
MAX_ASSERTION_LIFETIME = 3600
ASSERTION_CLOCK_SKEW = 300  # seconds an assertion's iat may be ahead of the fake's wall clock

_ID_RE = re.compile(r"\d+\.[A-Za-z0-9._-]+")
_ISSUER_RE = re.compile(r"\d+")
_HEX_COLOR_RE = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):\S+")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_INT_RE = re.compile(r"-?\d+")
_DATE_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?)(Z|[+-]\d{2}:\d{2}(?::\d{2})?)?"
)

_OUTPUT_ONLY = {
    "LoyaltyClass": frozenset({"kind", "review", "notifyPreference"}),
    "LoyaltyObject": frozenset(
        {"kind", "classReference", "hasUsers", "hasLinkedDevice", "notifyPreference"}
    ),
}
_KINDS = {
    "LoyaltyClass": "walletobjects#loyaltyClass",
    "LoyaltyObject": "walletobjects#loyaltyObject",
}
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNKNOWN",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_UNAUTHENTICATED_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_MISSING_CREDENTIALS_MESSAGE = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_JWT_TIME_MESSAGE = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
    "timeframe. Check your iat and exp values in the JWT claim."
)

# --- the walletobjects v1 schema (field: type), from the discovery document rev 20260806 -----
# Types: s string, b boolean, i int32, l int64 (a JSON string), d double, e enum (values in
# _ENUM_TEXT), a schema name, or [type] for a list. Only the schemas LoyaltyClass,
# LoyaltyObject and AddMessageRequest reach.
_SCHEMA_TEXT: dict[str, str] = {
    "AddMessageRequest": "message:Message",
    "AppLinkData": (
        "androidAppLinkInfo:AppLinkDataAppLinkInfo displayText:LocalizedString "
        "iosAppLinkInfo:AppLinkDataAppLinkInfo webAppLinkInfo:AppLinkDataAppLinkInfo"
    ),
    "AppLinkDataAppLinkInfo": (
        "appLogoImage:Image appTarget:AppLinkDataAppLinkInfoAppTarget "
        "description:LocalizedString title:LocalizedString"
    ),
    "AppLinkDataAppLinkInfoAppTarget": "packageName:s targetUri:Uri",
    "Barcode": (
        "alternateText:s kind:s renderEncoding:e showCodeText:LocalizedString type:e value:s"
    ),
    "BarcodeSectionDetail": "fieldSelector:FieldSelector",
    "CallbackOptions": "updateRequestUrl:s url:s",
    "CardBarcodeSectionDetails": (
        "firstBottomDetail:BarcodeSectionDetail firstTopDetail:BarcodeSectionDetail "
        "secondTopDetail:BarcodeSectionDetail"
    ),
    "CardRowOneItem": "item:TemplateItem",
    "CardRowTemplateInfo": (
        "oneItem:CardRowOneItem threeItems:CardRowThreeItems twoItems:CardRowTwoItems"
    ),
    "CardRowThreeItems": "endItem:TemplateItem middleItem:TemplateItem startItem:TemplateItem",
    "CardRowTwoItems": "endItem:TemplateItem startItem:TemplateItem",
    "CardTemplateOverride": "cardRowTemplateInfos:[CardRowTemplateInfo]",
    "ClassTemplateInfo": (
        "cardBarcodeSectionDetails:CardBarcodeSectionDetails "
        "cardTemplateOverride:CardTemplateOverride "
        "detailsTemplateOverride:DetailsTemplateOverride "
        "listTemplateOverride:ListTemplateOverride"
    ),
    "DateTime": "date:s",
    "DetailsItemInfo": "item:TemplateItem",
    "DetailsTemplateOverride": "detailsItemInfos:[DetailsItemInfo]",
    "DiscoverableProgram": (
        "merchantSigninInfo:DiscoverableProgramMerchantSigninInfo "
        "merchantSignupInfo:DiscoverableProgramMerchantSignupInfo state:e"
    ),
    "DiscoverableProgramMerchantSigninInfo": "signinWebsite:Uri",
    "DiscoverableProgramMerchantSignupInfo": "signupSharedDatas:[e] signupWebsite:Uri",
    "FieldReference": "dateFormat:e fieldPath:s",
    "FieldSelector": "fields:[FieldReference]",
    "FirstRowOption": "fieldOption:FieldSelector transitOption:e",
    "GroupingInfo": "groupingId:s sortIndex:i",
    "Image": "contentDescription:LocalizedString kind:s privateImageId:s sourceUri:ImageUri",
    "ImageModuleData": "id:s mainImage:Image",
    "ImageUri": "description:s localizedDescription:LocalizedString uri:s",
    "InfoModuleData": "labelValueRows:[LabelValueRow] showLastUpdateTime:b",
    "LabelValue": "label:s localizedLabel:LocalizedString localizedValue:LocalizedString value:s",
    "LabelValueRow": "columns:[LabelValue]",
    "LatLongPoint": "kind:s latitude:d longitude:d",
    "LinksModuleData": "uris:[Uri]",
    "ListTemplateOverride": (
        "firstRowOption:FirstRowOption secondRowOption:FieldSelector thirdRowOption:FieldSelector"
    ),
    "LocalizedString": "defaultValue:TranslatedString kind:s translatedValues:[TranslatedString]",
    "LoyaltyClass": (
        "accountIdLabel:s accountNameLabel:s allowMultipleUsersPerObject:b "
        "appLinkData:AppLinkData callbackOptions:CallbackOptions "
        "classTemplateInfo:ClassTemplateInfo countryCode:s "
        "discoverableProgram:DiscoverableProgram enableSmartTap:b heroImage:Image "
        "hexBackgroundColor:s homepageUri:Uri id:s imageModulesData:[ImageModuleData] "
        "infoModuleData:InfoModuleData issuerName:s kind:s linksModuleData:LinksModuleData "
        "localizedAccountIdLabel:LocalizedString localizedAccountNameLabel:LocalizedString "
        "localizedIssuerName:LocalizedString localizedProgramName:LocalizedString "
        "localizedRewardsTier:LocalizedString localizedRewardsTierLabel:LocalizedString "
        "localizedSecondaryRewardsTier:LocalizedString "
        "localizedSecondaryRewardsTierLabel:LocalizedString locations:[LatLongPoint] "
        "merchantLocations:[MerchantLocation] messages:[Message] "
        "multipleDevicesAndHoldersAllowedStatus:e notifyPreference:e programLogo:Image "
        "programName:s redemptionIssuers:[l] review:Review reviewStatus:e rewardsTier:s "
        "rewardsTierLabel:s secondaryRewardsTier:s secondaryRewardsTierLabel:s "
        "securityAnimation:SecurityAnimation textModulesData:[TextModuleData] "
        "valueAddedModuleData:[ValueAddedModuleData] version:l viewUnlockRequirement:e "
        "wideProgramLogo:Image wordMark:Image"
    ),
    "LoyaltyObject": (
        "accountId:s accountName:s appLinkData:AppLinkData barcode:Barcode classId:s "
        "classReference:LoyaltyClass disableExpirationNotification:b "
        "groupingInfo:GroupingInfo hasLinkedDevice:b hasUsers:b heroImage:Image id:s "
        "imageModulesData:[ImageModuleData] infoModuleData:InfoModuleData kind:s "
        "linkedObjectIds:[s] linkedOfferIds:[s] linksModuleData:LinksModuleData "
        "locations:[LatLongPoint] loyaltyPoints:LoyaltyPoints "
        "merchantLocations:[MerchantLocation] messages:[Message] notifyPreference:e "
        "passConstraints:PassConstraints rotatingBarcode:RotatingBarcode "
        "saveRestrictions:SaveRestrictions secondaryLoyaltyPoints:LoyaltyPoints "
        "smartTapRedemptionValue:s state:e textModulesData:[TextModuleData] "
        "validTimeInterval:TimeInterval valueAddedModuleData:[ValueAddedModuleData] version:l"
    ),
    "LoyaltyPoints": "balance:LoyaltyPointsBalance label:s localizedLabel:LocalizedString",
    "LoyaltyPointsBalance": "double:d int:i money:Money string:s",
    "MerchantLocation": "latitude:d longitude:d",
    "Message": (
        "body:s displayInterval:TimeInterval header:s id:s kind:s "
        "localizedBody:LocalizedString localizedHeader:LocalizedString messageType:e"
    ),
    "ModuleViewConstraints": "displayInterval:TimeInterval",
    "Money": "currencyCode:s kind:s micros:l",
    "PassConstraints": "nfcConstraint:[e] screenshotEligibility:e",
    "Review": "comments:s",
    "RotatingBarcode": (
        "alternateText:s initialRotatingBarcodeValues:RotatingBarcodeValues renderEncoding:e "
        "showCodeText:LocalizedString totpDetails:RotatingBarcodeTotpDetails type:e "
        "valuePattern:s"
    ),
    "RotatingBarcodeTotpDetails": (
        "algorithm:e parameters:[RotatingBarcodeTotpDetailsTotpParameters] periodMillis:l"
    ),
    "RotatingBarcodeTotpDetailsTotpParameters": "key:s valueLength:i",
    "RotatingBarcodeValues": "periodMillis:l startDateTime:s values:[s]",
    "SaveRestrictions": "restrictToEmailSha256:s",
    "SecurityAnimation": "animationType:e",
    "TemplateItem": "firstValue:FieldSelector predefinedItem:e secondValue:FieldSelector",
    "TextModuleData": (
        "body:s header:s id:s localizedBody:LocalizedString localizedHeader:LocalizedString"
    ),
    "TimeInterval": "end:DateTime kind:s start:DateTime",
    "TranslatedString": "kind:s language:s value:s",
    "Uri": "description:s id:s kind:s localizedDescription:LocalizedString uri:s",
    "ValueAddedModuleData": (
        "body:LocalizedString header:LocalizedString image:Image sortIndex:i uri:s "
        "viewConstraints:ModuleViewConstraints"
    ),
}
_ENUM_TEXT: dict[tuple[str, str], str] = {
    ("Barcode", "renderEncoding"): "RENDER_ENCODING_UNSPECIFIED UTF_8",
    ("Barcode", "type"): (
        "BARCODE_TYPE_UNSPECIFIED AZTEC aztec CODE_39 code39 CODE_128 code128 CODABAR codabar "
        "DATA_MATRIX dataMatrix EAN_8 ean8 EAN_13 ean13 EAN13 ITF_14 itf14 PDF_417 pdf417 "
        "PDF417 QR_CODE qrCode qrcode UPC_A upcA TEXT_ONLY textOnly"
    ),
    ("DiscoverableProgram", "state"): (
        "STATE_UNSPECIFIED TRUSTED_TESTERS trustedTesters LIVE live DISABLED disabled"
    ),
    ("DiscoverableProgramMerchantSignupInfo", "signupSharedDatas"): (
        "SHARED_DATA_TYPE_UNSPECIFIED FIRST_NAME LAST_NAME STREET_ADDRESS ADDRESS_LINE_1 "
        "ADDRESS_LINE_2 ADDRESS_LINE_3 CITY STATE ZIPCODE COUNTRY EMAIL PHONE"
    ),
    ("FieldReference", "dateFormat"): (
        "DATE_FORMAT_UNSPECIFIED DATE_TIME dateTime DATE_ONLY dateOnly TIME_ONLY timeOnly "
        "DATE_TIME_YEAR dateTimeYear DATE_YEAR dateYear YEAR_MONTH YEAR_MONTH_DAY"
    ),
    ("FirstRowOption", "transitOption"): (
        "TRANSIT_OPTION_UNSPECIFIED ORIGIN_AND_DESTINATION_NAMES originAndDestinationNames "
        "ORIGIN_AND_DESTINATION_CODES originAndDestinationCodes ORIGIN_NAME originName"
    ),
    ("LoyaltyClass", "multipleDevicesAndHoldersAllowedStatus"): (
        "STATUS_UNSPECIFIED MULTIPLE_HOLDERS ONE_USER_ALL_DEVICES ONE_USER_ONE_DEVICE "
        "multipleHolders oneUserAllDevices oneUserOneDevice"
    ),
    ("LoyaltyClass", "notifyPreference"): (
        "NOTIFICATION_SETTINGS_FOR_UPDATES_UNSPECIFIED NOTIFY_ON_UPDATE"
    ),
    ("LoyaltyClass", "reviewStatus"): (
        "REVIEW_STATUS_UNSPECIFIED UNDER_REVIEW underReview APPROVED approved REJECTED "
        "rejected DRAFT draft"
    ),
    ("LoyaltyClass", "viewUnlockRequirement"): (
        "VIEW_UNLOCK_REQUIREMENT_UNSPECIFIED UNLOCK_NOT_REQUIRED UNLOCK_REQUIRED_TO_VIEW"
    ),
    ("LoyaltyObject", "notifyPreference"): (
        "NOTIFICATION_SETTINGS_FOR_UPDATES_UNSPECIFIED NOTIFY_ON_UPDATE"
    ),
    ("LoyaltyObject", "state"): (
        "STATE_UNSPECIFIED ACTIVE active COMPLETED completed EXPIRED expired INACTIVE inactive"
    ),
    ("Message", "messageType"): (
        "MESSAGE_TYPE_UNSPECIFIED TEXT text EXPIRATION_NOTIFICATION expirationNotification "
        "TEXT_AND_NOTIFY"
    ),
    ("PassConstraints", "nfcConstraint"): (
        "NFC_CONSTRAINT_UNSPECIFIED BLOCK_PAYMENT BLOCK_CLOSED_LOOP_TRANSIT"
    ),
    ("PassConstraints", "screenshotEligibility"): (
        "SCREENSHOT_ELIGIBILITY_UNSPECIFIED ELIGIBLE INELIGIBLE"
    ),
    ("RotatingBarcode", "renderEncoding"): "RENDER_ENCODING_UNSPECIFIED UTF_8",
    ("RotatingBarcode", "type"): (
        "BARCODE_TYPE_UNSPECIFIED AZTEC aztec CODE_39 code39 CODE_128 code128 CODABAR codabar "
        "DATA_MATRIX dataMatrix EAN_8 ean8 EAN_13 ean13 EAN13 ITF_14 itf14 PDF_417 pdf417 "
        "PDF417 QR_CODE qrCode qrcode UPC_A upcA TEXT_ONLY textOnly"
    ),
    ("RotatingBarcodeTotpDetails", "algorithm"): "TOTP_ALGORITHM_UNSPECIFIED TOTP_SHA1",
    ("SecurityAnimation", "animationType"): "ANIMATION_UNSPECIFIED FOIL_SHIMMER foilShimmer",
    ("TemplateItem", "predefinedItem"): (
        "PREDEFINED_ITEM_UNSPECIFIED FREQUENT_FLYER_PROGRAM_NAME_AND_NUMBER "
        "frequentFlyerProgramNameAndNumber FLIGHT_NUMBER_AND_OPERATING_FLIGHT_NUMBER "
        "flightNumberAndOperatingFlightNumber"
    ),
}

_SCHEMAS: dict[str, dict[str, str]] = {
    name: dict(item.split(":", 1) for item in text.split()) for name, text in _SCHEMA_TEXT.items()
}
_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    key: tuple(text.split()) for key, text in _ENUM_TEXT.items()
}


def _canonical_values(values: Sequence[str]) -> dict[str, str]:
    """Each accepted spelling -> the canonical UPPER_SNAKE value (``qrcode`` -> ``QR_CODE``)."""
    uppers = [v for v in values if v == v.upper()]
    mapping: dict[str, str] = {}
    for value in values:
        squashed = value.replace("_", "").upper()
        mapping[value] = next(u for u in uppers if u.replace("_", "") == squashed)
    return mapping


_CANONICAL: dict[tuple[str, str], dict[str, str]] = {
    key: _canonical_values(values) for key, values in _ENUMS.items()
}
_INT32_RANGE = (-(2**31), 2**31 - 1)
_INT64_RANGE = (-(2**63), 2**63 - 1)
_TYPE_NAMES = {"s": "TYPE_STRING", "b": "TYPE_BOOL", "i": "TYPE_INT32", "l": "TYPE_INT64",
               "d": "TYPE_DOUBLE", "e": "TYPE_ENUM"}  # fmt: skip


# --- errors ---------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer of the walletobjects API (Google's JSON error body)."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        domain: str = "walletobjects",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [{"message": self.message, "domain": self.domain, "reason": self.reason}],
                "status": _STATUS_NAMES.get(self.code, "UNKNOWN"),
            }
        }


class SaveRejected(Exception):
    """A simulated save that Google would refuse (the Wallet app shows an error page)."""


def _invalid(message: str) -> ApiError:
    return ApiError(400, "invalidResource", message)


def _bad_argument(message: str) -> ApiError:
    return ApiError(400, "invalidArgument", message)


def _not_found(kind: str, resource_id: str) -> ApiError:
    noun = "class" if kind == "loyaltyClass" else "object"
    return ApiError(
        404, "resourceNotFound", f"Resource not found: {noun} with id {resource_id} does not exist."
    )


# --- schema checks: what Google's JSON parser enforces ---------------------------------------


def _bad_value(path: str, code: str, value: Any) -> ApiError:
    type_name = _TYPE_NAMES.get(code, "TYPE_MESSAGE")
    return _bad_argument(f"Invalid value at '{path}' ({type_name}), {json.dumps(value)}")


def _check_shape(value: Any, schema: str, path: str, *, patch: bool) -> None:
    """Unknown fields and wrong JSON types, recursively (``null`` means "unset")."""
    if not isinstance(value, dict):
        raise _bad_value(path, schema, value)
    fields = _SCHEMAS[schema]
    for key, item in value.items():
        if key not in fields:
            raise _bad_argument(
                f"Invalid JSON payload received. Unknown name \"{key}\" at '{path}': "
                "Cannot find field."
            )
        if item is not None:
            _check_field(item, fields[key], (schema, key), f"{path}.{key}", patch=patch)


def _check_field(item: Any, code: str, key: tuple[str, str], path: str, *, patch: bool) -> None:
    if code.startswith("["):
        if not isinstance(item, list):
            raise _bad_argument(f"Invalid value at '{path}': expected a list, got {_json(item)}")
        for index, element in enumerate(item):
            if element is None:
                raise _bad_argument(f"Invalid value at '{path}[{index}]': null in a list")
            _check_field(element, code[1:-1], key, f"{path}[{index}]", patch=False)
        return
    if code in _SCHEMAS:
        _check_shape(item, code, path, patch=patch)
        return
    ok: bool
    if code == "s":
        ok = isinstance(item, str)
    elif code == "b":
        ok = isinstance(item, bool)
    elif code in ("i", "l"):
        low, high = _INT32_RANGE if code == "i" else _INT64_RANGE
        number = _as_int(item)
        ok = number is not None and low <= number <= high
    elif code == "d":
        ok = _as_float(item) is not None
    else:  # enum
        ok = isinstance(item, str) and item in _CANONICAL[key]
        if not ok and isinstance(item, str):
            allowed = ", ".join(v for v in _ENUMS[key] if v == v.upper())
            raise _bad_argument(
                f"Invalid value at '{path}' (TYPE_ENUM), {json.dumps(item)}: expected one of "
                f"{allowed}"
            )
    if not ok:
        raise _bad_value(path, code, item)


def _as_int(item: Any) -> int | None:
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return item
    if isinstance(item, float) and item.is_integer():
        return int(item)
    if isinstance(item, str) and _INT_RE.fullmatch(item):
        return int(item)
    return None


def _as_float(item: Any) -> float | None:
    if isinstance(item, bool):
        return None
    if isinstance(item, int | float):
        return float(item)
    if isinstance(item, str):
        try:
            return float(item)
        except ValueError:
            return None
    return None


def _json(value: Any) -> str:
    return json.dumps(value)[:80]


def _normalize(value: dict[str, Any], schema: str) -> dict[str, Any]:
    """Canonical enums, int32 as numbers, int64 as strings (proto3 JSON), recursively."""
    fields = _SCHEMAS[schema]
    out: dict[str, Any] = {}
    for key, item in value.items():
        code = fields.get(key)
        out[key] = (
            item if item is None or code is None else _normalize_field(item, code, (schema, key))
        )
    return out


def _normalize_field(item: Any, code: str, key: tuple[str, str]) -> Any:
    if code.startswith("["):
        return [_normalize_field(element, code[1:-1], key) for element in item]
    if code in _SCHEMAS:
        return _normalize(item, code)
    if code == "e":
        return _CANONICAL[key][item]
    if code == "i":
        return _as_int(item)
    if code == "l":
        return str(_as_int(item))
    if code == "d" and isinstance(item, str):
        return float(item)
    return item


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _merge(base: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """PATCH semantics: objects merge, ``null`` deletes, lists (and a ``balance``) replace."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and key != "balance":
            out[key] = _merge(out[key], value)
        else:
            out[key] = _strip_nulls(copy.deepcopy(value))
    return out


def _walk(
    value: dict[str, Any], schema: str, path: str
) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Every nested message of a resource, with its schema name and JSON path."""
    yield schema, value, path
    fields = _SCHEMAS[schema]
    for key, item in value.items():
        code = fields.get(key, "")
        inner = code[1:-1] if code.startswith("[") else code
        if inner not in _SCHEMAS:
            continue
        if isinstance(item, list):
            for index, element in enumerate(item):
                if isinstance(element, dict):
                    yield from _walk(element, inner, f"{path}.{key}[{index}]")
        elif isinstance(item, dict):
            yield from _walk(item, inner, f"{path}.{key}")


# --- semantic checks: the documented rules ---------------------------------------------------


def _check_image(image: dict[str, Any], path: str) -> None:
    if ("sourceUri" in image) == ("privateImageId" in image):
        raise _invalid(f"{path}: set exactly one of sourceUri and privateImageId")


def _check_image_uri(image_uri: dict[str, Any], path: str) -> None:
    uri = image_uri.get("uri")
    match = _SCHEME_RE.fullmatch(uri) if isinstance(uri, str) else None
    if match is None:
        raise _invalid(f"{path}.uri is required and must be an absolute URI with a scheme")
    if match.group(1).lower() not in ("http", "https"):
        raise _invalid(f"{path}.uri {uri!r}: images must be fetchable over http(s)")


def _check_uri(uri_module: dict[str, Any], path: str) -> None:
    uri = uri_module.get("uri")
    if not isinstance(uri, str) or not _SCHEME_RE.fullmatch(uri):
        raise _invalid(f"{path}.uri {uri!r}: URIs must have a scheme (https:, tel:, mailto:...)")


def _check_callback_options(options: dict[str, Any], path: str) -> None:
    for key in ("url", "updateRequestUrl"):
        url = options.get(key)
        if url is not None and not re.fullmatch(r"https?://\S+", url):
            raise _invalid(f"{path}.{key} {url!r} must be an http(s) URL")


def _check_lat_long(point: dict[str, Any], path: str) -> None:
    for key, limit in (("latitude", 90.0), ("longitude", 180.0)):
        value = _as_float(point.get(key))
        if value is None:
            raise _invalid(f"{path}.{key} is required")
        if not -limit <= value <= limit:
            raise _invalid(f"{path}.{key} {value} is out of range [-{limit:g}, {limit:g}]")


def _check_text_module(module: dict[str, Any], path: str) -> None:
    module_id = module.get("id")
    if isinstance(module_id, str) and "." in module_id:
        raise _invalid(f"{path}.id {module_id!r} may not contain dots")


def _check_points(points: dict[str, Any], path: str) -> None:
    balance = points.get("balance")
    if not isinstance(balance, dict):
        raise _invalid(f"{path}.balance is required")
    kinds = [k for k in ("int", "double", "string", "money") if k in balance]
    if len(kinds) != 1:
        raise _invalid(
            f"{path}.balance must set exactly one of int, double, string and money (got "
            f"{', '.join(kinds) or 'none'})"
        )


def _check_money(money: dict[str, Any], path: str) -> None:
    if not isinstance(money.get("currencyCode"), str) or not _CURRENCY_RE.fullmatch(
        money["currencyCode"]
    ):
        raise _invalid(f"{path}.currencyCode is required: an ISO 4217 code such as 'EUR'")
    if "micros" not in money:
        raise _invalid(f"{path}.micros is required")


def _check_barcode(barcode: dict[str, Any], path: str) -> None:
    kind = barcode.get("type")
    if kind in (None, "BARCODE_TYPE_UNSPECIFIED"):
        raise _invalid(f"{path}.type is required")
    if kind != "TEXT_ONLY" and not barcode.get("value"):
        raise _invalid(f"{path}.value is required")


def _check_message(message: dict[str, Any], path: str) -> None:
    if not (message.get("header") or message.get("localizedHeader")):
        raise _invalid(f"{path}.header is required")
    if not (message.get("body") or message.get("localizedBody")):
        raise _invalid(f"{path}.body is required")


def _parse_date(text: Any, path: str) -> dt.datetime:
    match = _DATE_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise _invalid(f"{path} {text!r} is not an ISO 8601 extended date/time")
    base, offset = match.groups()
    if "." in base:
        whole, fraction = base.split(".")
        base = f"{whole}.{fraction[:6].ljust(6, '0')}"
    suffix = "+00:00" if offset == "Z" else offset or ""
    try:
        return dt.datetime.fromisoformat(base + suffix)
    except ValueError as exc:
        raise _invalid(f"{path} {text!r} is not a valid date/time: {exc}") from None


def _check_interval(interval: dict[str, Any], path: str) -> None:
    dates = {}
    for key in ("start", "end"):
        if isinstance(interval.get(key), dict):
            dates[key] = _parse_date(interval[key].get("date"), f"{path}.{key}.date")
    if len(dates) == 2:
        start, end = dates["start"], dates["end"]
        if (start.tzinfo is None) != (end.tzinfo is None):
            raise _invalid(f"{path}: start and end must both have an offset, or neither")
        if start > end:
            raise _invalid(f"{path}: start is after end")


_CHECKS: dict[str, Callable[[dict[str, Any], str], None]] = {
    "Image": _check_image,
    "ImageUri": _check_image_uri,
    "Uri": _check_uri,
    "CallbackOptions": _check_callback_options,
    "MerchantLocation": _check_lat_long,
    "LatLongPoint": _check_lat_long,
    "TextModuleData": _check_text_module,
    "LoyaltyPoints": _check_points,
    "Money": _check_money,
    "Barcode": _check_barcode,
    "Message": _check_message,
    "TimeInterval": _check_interval,
}


def _require(resource: Mapping[str, Any], name: str) -> None:
    if resource.get(name) in (None, "", {}):
        raise _invalid(f"resource.{name} is required")


def _check_id(resource_id: Any, what: str = "resource ID") -> str:
    if not isinstance(resource_id, str) or not _ID_RE.fullmatch(resource_id):
        raise _invalid(
            f"Invalid {what}: {resource_id!r}. It must be '<issuer ID>.<identifier>' where the "
            "identifier uses only letters, digits, '.', '_' or '-'."
        )
    return resource_id


def _validate_resource(resource: dict[str, Any], schema: str) -> None:
    required: tuple[str, ...]
    if schema == "LoyaltyClass":
        required = ("id", "issuerName", "programName", "programLogo", "reviewStatus")
    else:
        required = ("id", "classId", "state")
    for name in required:
        _require(resource, name)
    _check_id(resource["id"])
    if schema == "LoyaltyObject":
        _check_id(resource["classId"], "class ID")
        if resource["state"] == "STATE_UNSPECIFIED":
            raise _invalid("resource.state is required")
    color = resource.get("hexBackgroundColor")
    if color is not None and not _HEX_COLOR_RE.fullmatch(color):
        raise _invalid(f"resource.hexBackgroundColor {color!r} must be #rgb or #rrggbb")
    for key, limit in (("messages", MAX_MESSAGES), ("merchantLocations", MAX_MERCHANT_LOCATIONS)):
        if len(resource.get(key) or ()) > limit:
            raise _invalid(f"resource.{key}: at most {limit} are allowed")
    for name, value, path in _walk(resource, schema, "resource"):
        check = _CHECKS.get(name)
        if check is not None:
            check(value, path)


_MISSING = object()


def _dotted(resource: Mapping[str, Any], dotted: str) -> Any:
    current: Any = resource
    for part in dotted.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _changed(old: Mapping[str, Any], new: Mapping[str, Any], fields: Sequence[str]) -> list[str]:
    return [name for name in fields if _dotted(old, name) != _dotted(new, name)]


def _next_review_status(requested: str | None, current: str | None) -> str:
    """What a client's ``reviewStatus`` becomes (``requested`` is canonical)."""
    if requested in (None, "REVIEW_STATUS_UNSPECIFIED"):
        if current is not None:
            return current
        raise _invalid("resource.reviewStatus is required: send UNDER_REVIEW (or DRAFT)")
    if requested in ("APPROVED", "REJECTED"):
        raise _invalid(
            f"resource.reviewStatus {requested} cannot be set by the issuer: only DRAFT or "
            "UNDER_REVIEW may be sent (keep sending UNDER_REVIEW when updating an approved class)"
        )
    if requested == "DRAFT":
        if current not in (None, "DRAFT"):
            raise _invalid(f"resource.reviewStatus cannot go back to DRAFT: the class is {current}")
        return "DRAFT"
    return "APPROVED"  # UNDER_REVIEW: loyalty classes are approved at once


# --- JWTs, service accounts and ECv2SigningOnly ------------------------------------------------


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _decode_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, claims, signing input, signature); ValueError when it is not a JWS."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT: expected three dot-separated parts")
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"not a JWT: {exc}") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("not a JWT: header and claims must be JSON objects")
    return header, claims, f"{parts[0]}.{parts[1]}".encode(), signature


def _verify_rs256(public_key: rsa.RSAPublicKey, signing_input: bytes, signature: bytes) -> bool:
    try:
        public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def make_service_account(
    token_uri: str, *, client_email: str | None = None, project_id: str = "loyalpass-test"
) -> dict[str, str]:
    """A new service-account key file (a fresh RSA-2048 key), in Google's JSON format."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    email = client_email or f"wallet-{secrets.token_hex(4)}@{project_id}.iam.gserviceaccount.com"
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": email,
        "client_id": str(10**20 + secrets.randbelow(9 * 10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
        + urllib.parse.quote(email),
        "universe_domain": "googleapis.com",
    }


def _lv(value: str) -> bytes:
    """Tink's length-value encoding: a 4-byte little-endian length, then the UTF-8 bytes."""
    data = value.encode()
    return len(data).to_bytes(4, "little") + data


def _spki_b64(key: ec.EllipticCurvePublicKey) -> str:
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def _ecdsa_b64(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One HTTP request the fake answered. ``body`` is the parsed JSON (the form fields for
    ``/token``), else the text, or ``None``; ``at`` is the fake's ``clock``; ``account`` the
    service-account email of the bearer token, if valid."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int
    at: float
    account: str | None
    response: Any


@dataclass(frozen=True, slots=True)
class Notification:
    """A push the fake would have sent. ``kind``: ``message`` (TEXT_AND_NOTIFY addMessage),
    ``update`` (NOTIFY_ON_UPDATE changing ``fields``), ``class_message`` or ``class_update``
    (the same on the object's class). ``delivered``: the object had users then."""

    object_id: str
    kind: str
    at: float
    fields: tuple[str, ...] = ()
    message_id: str | None = None
    delivered: bool = False


@dataclass(frozen=True, slots=True)
class CallbackDelivery:
    """One callback POST: the receiver's HTTP status, or ``None`` and ``error`` when the
    connection failed."""

    url: str
    body: dict[str, Any]
    status: int | None
    error: str | None = None
    at: float = 0.0


@dataclass(frozen=True, slots=True)
class SaveResult:
    object_ids: list[str]
    callbacks: list[CallbackDelivery]


@dataclass(slots=True)
class _Account:
    email: str
    key_id: str
    public_key: rsa.RSAPublicKey
    issuers: set[str]


@dataclass(slots=True)
class _Token:
    email: str
    expires_at: float
    scopes: frozenset[str]


@dataclass(slots=True)
class _StoredObject:
    resource: dict[str, Any]
    holders: int = 0


@dataclass(slots=True)
class _InjectedError:
    status: int
    reason: str
    message: str
    remaining: int
    match: str | None
    headers: dict[str, str] = field(default_factory=dict)


CallbackTransport = Callable[[str, bytes, Mapping[str, str]], int]


class _TokenError(Exception):
    """An OAuth error answer of ``/token``: ``{"error", "error_description"}``."""

    def __init__(self, status: int, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("error_description", ""))
        self.status = status
        self.payload = payload


# --- the fake ----------------------------------------------------------------------------------

_SCHEMA_OF = {"loyaltyClass": "LoyaltyClass", "loyaltyObject": "LoyaltyObject"}
_API_ROUTE = re.compile(
    re.escape(API_PREFIX) + r"/(loyaltyClass|loyaltyObject)(?:/([^/]+))?(?:/(addMessage))?/?"
)
_DEFAULT_REASONS = {400: "invalidArgument", 403: "permissionDenied", 404: "resourceNotFound",
                    409: "duplicate", 429: "rateLimitExceeded"}  # fmt: skip


def _issuer_of(resource_id: str) -> str:
    return resource_id.split(".", 1)[0]


class FakeGoogle:
    """Google's token endpoint, the walletobjects v1 loyalty API and the Wallet app's callbacks,
    on ``http://127.0.0.1:<port>``. Start it with ``with FakeGoogle(...) as google:`` (or
    ``start()``/``close()``).

    Args:
        issuer_id: the default issuer: new service accounts are its users.
        clock: seconds since the epoch (default ``time.time``), for token expiry, the
            notification window, request times and callback times; ``advance(seconds)`` moves
            it, and ``google.now = lambda: ...`` replaces it.
        token_lifetime: seconds an access token lives (the ``expires_in`` answered).
        sender_id: the ECv2SigningOnly sender id of callbacks.
        rate_limit: answer 429 ``rateLimitExceeded`` above this many API requests per second
            (off by default; Google's documented limit is 20).
        latency: seconds to wait before answering each request (for benchmarks).
        record_requests: keep ``requests`` (turn it off for long benchmarks).
        object_notify_fields / class_notify_fields: the allowlisted fields whose change with
            ``notifyPreference: NOTIFY_ON_UPDATE`` notifies.
        notification_limit / notification_window: 3 per 24 hours.
        callback_transport: ``(url, body bytes, headers) -> HTTP status``, to deliver callbacks
            some other way (e.g. into a TestClient); default: a real HTTP POST.
        allow_external_callbacks: without it, callbacks to a host that is not loopback are
            not sent (recorded with ``status=None`` and an ``error``): tests stay offline.
        callback_exp_ms: ``expTimeMillis`` of a callback is ``clock`` + this.
        intermediate_key_lifetime / root_key_lifetime: seconds until the ECv2 keys expire.
    """

    def __init__(
        self,
        issuer_id: str = DEFAULT_ISSUER_ID,
        *,
        clock: Callable[[], float] | None = None,
        token_lifetime: float = 3600,
        sender_id: str = DEFAULT_SENDER_ID,
        rate_limit: int | None = None,
        latency: float = 0.0,
        record_requests: bool = True,
        object_notify_fields: Sequence[str] = OBJECT_NOTIFY_FIELDS,
        class_notify_fields: Sequence[str] = CLASS_NOTIFY_FIELDS,
        notification_limit: int = NOTIFICATION_LIMIT,
        notification_window: float = NOTIFICATION_WINDOW,
        callback_transport: CallbackTransport | None = None,
        callback_timeout: float = 10.0,
        allow_external_callbacks: bool = False,
        callback_exp_ms: int = 5 * 60 * 1000,
        intermediate_key_lifetime: float = 24 * 3600.0,
        root_key_lifetime: float = 365 * 24 * 3600.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not _ISSUER_RE.fullmatch(issuer_id):
            raise ValueError(f"issuer_id must be numeric, got {issuer_id!r}")
        self.issuer_id = issuer_id
        self._clock = clock or time.time
        self._offset = 0.0
        self.token_lifetime = token_lifetime
        self.sender_id = sender_id
        self.rate_limit = rate_limit
        self.latency = latency
        self.record_requests = record_requests
        self.object_notify_fields = tuple(object_notify_fields)
        self.class_notify_fields = tuple(class_notify_fields)
        self.notification_limit = notification_limit
        self.notification_window = notification_window
        self.callback_timeout = callback_timeout
        self.allow_external_callbacks = allow_external_callbacks
        self.callback_exp_ms = callback_exp_ms
        self.intermediate_key_lifetime = intermediate_key_lifetime
        self.root_key_lifetime = root_key_lifetime
        self._callback_transport = callback_transport
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._host = host
        self._port = port

        self._lock = threading.RLock()
        self._accounts: dict[str, _Account] = {}  # by private_key_id
        self._issuer_users: dict[str, set[str]] = {}  # email -> issuer ids
        self._tokens: dict[str, _Token] = {}
        self._classes: dict[str, dict[str, Any]] = {}
        self._objects: dict[str, _StoredObject] = {}
        self._notifications: list[Notification] = []
        self._notifications_by_object: dict[str, list[Notification]] = {}
        self._rate_window: deque[float] = deque()
        self._injected: list[_InjectedError] = []
        #: every request answered, oldest first
        self.requests: list[RecordedRequest] = []
        #: every callback POSTed, oldest first
        self.callbacks_sent: list[CallbackDelivery] = []
        #: the number of calls of each batch request answered 200, oldest first
        self.batches: list[int] = []
        #: tracebacks of the fake's own failures (answered 500): a test may assert it is empty
        self.errors: list[str] = []
        #: issuer-level callback URLs, used for classes without ``callbackOptions.url``
        self.issuer_callback_urls: dict[str, str] = {}

        self._intermediate_key = ec.generate_private_key(ec.SECP256R1())
        self._root_keys: list[tuple[ec.EllipticCurvePrivateKey, int]] = []
        self.rotate_root_key()

        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = self.token_url = self.api_url = self.keys_url = self.save_url = ""

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._server = _Server((self._host, self._port), self)
        port = self._server.server_address[1]
        self.url = f"http://{self._host}:{port}"
        self.token_url = f"{self.url}/token"
        self.api_url = f"{self.url}{API_PREFIX}"
        self.keys_url = f"{self.url}/keys"
        self.save_url = f"{self.url}{SAVE_PREFIX}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"fake-google-{port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.close_connections()
        server.server_close()  # joins the connection threads
        if thread is not None:
            thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- time --------------------------------------------------------------------------------

    def now(self) -> float:
        """The fake's time (seconds since the epoch): ``clock()`` plus what ``advance`` added."""
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    # --- accounts and tokens -----------------------------------------------------------------

    def register_service_account(
        self, info: Mapping[str, Any], *, issuer_ids: Sequence[str] | None = None
    ) -> str:
        """Trust the key file's key (by ``private_key_id``) and make its account a user of
        ``issuer_ids`` (default: this fake's issuer). Registering again replaces the issuers.
        Returns the account's email."""
        key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("a service-account key must be RSA")
        email = str(info["client_email"])
        issuers = {self.issuer_id} if issuer_ids is None else set(issuer_ids)
        with self._lock:
            self._accounts[str(info["private_key_id"])] = _Account(
                email, str(info["private_key_id"]), key.public_key(), issuers
            )
            self._issuer_users[email] = issuers
        return email

    def new_service_account(
        self, *, issuer_ids: Sequence[str] | None = None, client_email: str | None = None
    ) -> dict[str, str]:
        """``make_service_account(self.token_url)``, registered (call after ``start``)."""
        if not self.token_url:
            raise RuntimeError("start the fake first: the key file names its token_url")
        info = make_service_account(self.token_url, client_email=client_email)
        self.register_service_account(info, issuer_ids=issuer_ids)
        return info

    def expire_all_tokens(self) -> None:
        """Every access token issued so far is now unknown: the next API call answers 401."""
        with self._lock:
            self._tokens.clear()

    def reroute(self, session: requests.Session) -> requests.Session:
        """Mount adapters on a requests session so that its requests to Google's hosts
        (``GOOGLE_HOSTS``: the token endpoint, walletobjects, iamcredentials, pay.google.com)
        go to this fake instead. Returns the session."""
        for prefix, close in GOOGLE_HOSTS.items():
            session.mount(prefix, _RerouteAdapter(self.url, close))
        return session

    def auth_request(self) -> tuple[Request, requests.Session]:
        """A google-auth transport for ``AuthorizedSession(credentials, auth_request=...)``
        whose requests to Google's hosts reach this fake, and its session (close it)."""
        session = self.reroute(requests.Session())
        return Request(session), session

    def authorized_session(
        self, info: Mapping[str, Any], *, scopes: Sequence[str] = (WALLET_SCOPE,)
    ) -> AuthorizedSession:
        """google-auth's ``AuthorizedSession`` for a key file, as production builds it, but
        with every request to Google's hosts (also google-auth's background Regional Access
        Boundary lookup on iamcredentials.googleapis.com) sent to this fake. Close it."""
        credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            dict(info), scopes=list(scopes)
        )
        return _ReroutedAuthorizedSession(credentials, self)

    # --- state for tests -----------------------------------------------------------------------

    def reset(self) -> None:
        """Forget classes, objects, notifications, requests, callbacks, errors, injected
        errors and the rate window (service accounts, tokens and keys stay)."""
        with self._lock:
            self._classes.clear()
            self._objects.clear()
            self._notifications.clear()
            self._notifications_by_object.clear()
            self._rate_window.clear()
            self._injected.clear()
            self.requests.clear()
            self.callbacks_sent.clear()
            self.errors.clear()
            self.batches.clear()

    @property
    def token_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == "/token"]

    @property
    def api_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(API_PREFIX)]

    def get_class(self, class_id: str) -> dict[str, Any] | None:
        """The class as GET answers it, or ``None``."""
        with self._lock:
            return self._class_out(class_id) if class_id in self._classes else None

    def get_object(self, object_id: str) -> dict[str, Any] | None:
        """The object as GET answers it, or ``None``."""
        with self._lock:
            return self._object_out(object_id) if object_id in self._objects else None

    def notifications(self, object_id: str | None = None) -> list[Notification]:
        """The notifications counted (for one object, or all), oldest first."""
        with self._lock:
            if object_id is None:
                return list(self._notifications)
            return list(self._notifications_by_object.get(object_id, ()))

    def notification_quota_left(self, object_id: str) -> int:
        with self._lock:
            return max(0, self.notification_limit - len(self._recent(object_id, self.now())))

    def inject_error(
        self,
        status: int,
        reason: str | None = None,
        *,
        message: str | None = None,
        times: int = 1,
        match: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with this error. Without ``match``, API
        requests match (after authentication); with it, any request whose ``"METHOD /path"``
        contains ``match`` (``"POST /token"`` answers an OAuth error body)."""
        with self._lock:
            self._injected.append(
                _InjectedError(
                    status,
                    reason or _DEFAULT_REASONS.get(status, "backendError"),
                    message or f"Injected error {status}.",
                    times,
                    match,
                    dict(headers or {}),
                )
            )

    def clear_injected(self) -> None:
        """Forget the injected errors still waiting: Google answers normally again."""
        with self._lock:
            self._injected.clear()

    # --- HTTP dispatch (called by the server threads) -------------------------------------------

    def _dispatch(
        self, method: str, target: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        split = urllib.parse.urlsplit(target)
        path, query = split.path, urllib.parse.parse_qs(split.query, keep_blank_values=True)
        if path == BATCH_PATH:
            return self._batch(method, headers, raw)
        override = headers.get("X-HTTP-Method-Override")
        if method == "POST" and override:
            method = override.upper()
        text = raw.decode("utf-8", "replace")
        body: Any = text or None
        account: str | None = None
        out_headers: dict[str, str] = {}
        try:
            if path == "/token":
                body = {k: v[-1] for k, v in urllib.parse.parse_qs(text).items()}
                self._take_injected(method, path)
                status, payload = self._token(method, body)
                out_headers["Cache-Control"] = "no-cache, no-store, max-age=0, must-revalidate"
            elif path in ("/keys", "/gp/m/issuer/keys") and method == "GET":
                status, payload = 200, self.root_keys_json()
                out_headers["Cache-Control"] = "public, max-age=3600"
            elif path.startswith(SAVE_PREFIX) and method in ("GET", "POST"):
                status, payload = self._save_route(path[len(SAVE_PREFIX) :])
            elif _ALLOWED_LOCATIONS_RE.fullmatch(path) and method == "GET":
                account = self._authenticate(headers, wallet_scope=False)
                status, payload = 200, {"locations": [], "encodedLocations": "0x0"}
            elif path == API_PREFIX or path.startswith(API_PREFIX + "/"):
                account = self._authenticate(headers)
                self._check_rate()
                self._take_injected(method, path)
                body = self._json_body(text)
                status, payload = 200, self._api(method, path, query, account, body)
            else:
                status, payload = 404, {"error": {"code": 404, "message": f"Not Found: {path}"}}
        except ApiError as exc:
            status, payload = exc.code, exc.body()
            out_headers.update(exc.headers)
        except _TokenError as exc:
            status, payload = exc.status, exc.payload
        except Exception:  # a bug of the fake: answer 500 and keep it for the test
            with self._lock:
                self.errors.append(traceback.format_exc())
            status, payload = 500, ApiError(500, "backendError", "Internal error.").body()
        if self.record_requests:
            record = RecordedRequest(
                method, path, query, body, status, self.now(), account, payload
            )
            with self._lock:
                self.requests.append(record)
        out_headers["Content-Type"] = "application/json; charset=UTF-8"
        return status, out_headers, json.dumps(payload, ensure_ascii=False).encode()

    def _batch(
        self, method: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """``POST /batch``: each call answered as if sent alone, in one multipart answer."""
        try:
            if method != "POST":
                raise ApiError(404, "notFound", f"Method not found: {method} {BATCH_PATH}")
            account = self._authenticate(headers)
            self._take_injected(method, BATCH_PATH)
            calls = _batch_calls(headers.get("Content-Type", ""), raw)
        except ApiError as exc:
            out = {**exc.headers, "Content-Type": "application/json; charset=UTF-8"}
            return exc.code, out, json.dumps(exc.body()).encode()
        answers = [
            (content_id, *self._batch_call(call_method, target, text, account))
            for content_id, call_method, target, text in calls
        ]
        with self._lock:
            self.batches.append(len(calls))
        boundary = f"batch_{secrets.token_hex(8)}"
        out_lines: list[bytes] = []
        for content_id, status, payload in reversed(answers):  # Google promises no order
            data = json.dumps(payload, ensure_ascii=False).encode()
            out_lines += [f"--{boundary}".encode(), b"Content-Type: application/http"]
            if content_id is not None:
                out_lines.append(f"Content-ID: <response-{content_id}>".encode())
            out_lines += [
                b"",
                f"HTTP/1.1 {status} {_reason_phrase(status)}".encode(),
                b"Content-Type: application/json; charset=UTF-8",
                f"Content-Length: {len(data)}".encode(),
                b"",
                data,
            ]
        out_lines.append(f"--{boundary}--".encode())
        body = b"\r\n".join(out_lines) + b"\r\n"
        return 200, {"Content-Type": f"multipart/mixed; boundary={boundary}"}, body

    def _batch_call(self, method: str, target: str, text: str, account: str) -> tuple[int, Any]:
        split = urllib.parse.urlsplit(target)
        path, query = split.path, urllib.parse.parse_qs(split.query, keep_blank_values=True)
        body: Any = text or None
        try:
            if not path.startswith(API_PREFIX + "/"):
                raise ApiError(404, "notFound", f"Not Found: {path} (a batch holds API calls)")
            self._check_rate()  # every call of a batch counts against the quota
            self._take_injected(method, path)
            body = self._json_body(text)
            status, payload = 200, self._api(method, path, query, account, body)
        except ApiError as exc:
            status, payload = exc.code, exc.body()
        except Exception:  # a bug of the fake: answer 500 and keep it for the test
            with self._lock:
                self.errors.append(traceback.format_exc())
            status, payload = 500, ApiError(500, "backendError", "Internal error.").body()
        if self.record_requests:
            record = RecordedRequest(
                method, path, query, body, status, self.now(), account, payload
            )
            with self._lock:
                self.requests.append(record)
        return status, payload

    def _json_body(self, text: str) -> Any:
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise _bad_argument(f"Invalid JSON payload received. {exc}") from None

    def _take_injected(self, method: str, path: str) -> None:
        line = f"{method} {path}"
        with self._lock:
            for injected in self._injected:
                hit = (
                    path.startswith(API_PREFIX)
                    if injected.match is None
                    else injected.match in line
                )
                if hit and injected.remaining > 0:
                    injected.remaining -= 1
                    if injected.remaining == 0:
                        self._injected.remove(injected)
                    break
            else:
                return
        if path == "/token":
            error = "internal_failure" if injected.status >= 500 else "invalid_request"
            raise _TokenError(
                injected.status, {"error": error, "error_description": injected.message}
            )
        raise ApiError(
            injected.status,
            injected.reason,
            injected.message,
            domain="global" if injected.status >= 500 else "walletobjects",
            headers=injected.headers,
        )

    def _check_rate(self) -> None:
        if not self.rate_limit:
            return
        tick = time.monotonic()
        with self._lock:
            while self._rate_window and self._rate_window[0] <= tick - 1.0:
                self._rate_window.popleft()
            if len(self._rate_window) >= self.rate_limit:
                raise ApiError(
                    429,
                    "rateLimitExceeded",
                    f"Rate limit exceeded: at most {self.rate_limit} requests per second.",
                )
            self._rate_window.append(tick)

    # --- OAuth --------------------------------------------------------------------------------

    def _token(self, method: str, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        def fail(error: str, description: str) -> _TokenError:
            return _TokenError(400, {"error": error, "error_description": description})

        if method != "POST":
            raise _TokenError(405, {"error": "invalid_request", "error_description": "POST only"})
        grant = form.get("grant_type", "")
        if grant != JWT_BEARER_GRANT:
            raise fail("unsupported_grant_type", f"Invalid grant_type: {grant}")
        assertion = form.get("assertion")
        if not assertion:
            raise fail("invalid_request", "Missing required parameter: assertion")
        try:
            header, claims, signing_input, signature = _decode_jwt(assertion)
        except ValueError as exc:
            raise fail("invalid_grant", f"Invalid JWT: {exc}") from None
        with self._lock:
            account = self._accounts.get(str(header.get("kid")))
        if (
            header.get("alg") != "RS256"
            or account is None
            or not _verify_rs256(account.public_key, signing_input, signature)
        ):
            raise fail("invalid_grant", "Invalid JWT Signature.")
        if claims.get("iss") != account.email:
            raise fail("invalid_grant", "Invalid grant: account not found")
        if claims.get("aud") != GOOGLE_TOKEN_AUDIENCE:
            raise fail(
                "invalid_grant",
                "Invalid JWT: Failed audience check. The expected audience is "
                f"{GOOGLE_TOKEN_AUDIENCE}.",
            )
        iat, exp, wall = claims.get("iat"), claims.get("exp"), time.time()
        if (
            not isinstance(iat, int | float)
            or not isinstance(exp, int | float)
            or isinstance(iat, bool)
            or isinstance(exp, bool)
            or not 0 < exp - iat <= MAX_ASSERTION_LIFETIME
            or iat > wall + ASSERTION_CLOCK_SKEW
            or exp <= wall
        ):
            raise fail("invalid_grant", _JWT_TIME_MESSAGE)
        scopes = frozenset(str(claims.get("scope") or "").split())
        if not scopes:
            raise fail("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        token = "ya29.fake-" + secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = _Token(account.email, self.now() + self.token_lifetime, scopes)
        return 200, {
            "access_token": token,
            "expires_in": int(self.token_lifetime),
            "token_type": "Bearer",
        }

    def _authenticate(self, headers: Mapping[str, str], *, wallet_scope: bool = True) -> str:
        authorization = headers.get("Authorization") or ""
        if not authorization:
            raise ApiError(
                401,
                "required",
                _MISSING_CREDENTIALS_MESSAGE,
                domain="global",
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        scheme, _, value = authorization.partition(" ")
        with self._lock:
            token = self._tokens.get(value.strip()) if scheme.lower() == "bearer" else None
            if token is not None and self.now() >= token.expires_at:
                del self._tokens[value.strip()]
                token = None
        if token is None:
            raise ApiError(
                401,
                "authError",
                _UNAUTHENTICATED_MESSAGE,
                domain="global",
                headers={
                    "WWW-Authenticate": (
                        'Bearer realm="https://accounts.google.com/", error="invalid_token"'
                    )
                },
            )
        if wallet_scope and WALLET_SCOPE not in token.scopes:
            raise ApiError(
                403,
                "insufficientPermissions",
                "Request had insufficient authentication scopes.",
                domain="global",
                headers={
                    "WWW-Authenticate": (
                        'Bearer realm="https://accounts.google.com/", '
                        f'error="insufficient_scope", scope="{WALLET_SCOPE}"'
                    )
                },
            )
        return token.email

    def _authorize(self, email: str, issuer: str) -> None:
        if issuer not in self._issuer_users.get(email, set()):
            raise ApiError(
                403,
                "permissionDenied",
                f"Permission denied: the service account {email} is not a user of issuer "
                f"{issuer}. Add it under Users in the Google Pay & Wallet Console "
                "(https://pay.google.com/business/console) and retry.",
            )

    # --- walletobjects -------------------------------------------------------------------------

    def _api(
        self,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        email: str,
        body: Any,
    ) -> Any:
        route = _API_ROUTE.fullmatch(path)
        if route is not None:
            kind, raw_id, action = route.groups()
            resource_id = None if raw_id is None else urllib.parse.unquote(raw_id)
            with self._lock:
                if resource_id is None:
                    if method == "POST":
                        return self._insert(kind, email, body)
                    if method == "GET":
                        return self._list(kind, email, query)
                elif action:
                    if method == "POST":
                        return self._add_message(kind, email, resource_id, body)
                elif method == "GET":
                    return self._get(kind, email, resource_id)
                elif method in ("PUT", "PATCH"):
                    return self._update(kind, email, resource_id, body, patch=method == "PATCH")
        hint = " (Google Wallet has no DELETE: PATCH state to EXPIRED or INACTIVE)" * (
            method == "DELETE"
        )
        raise ApiError(404, "notFound", f"Method not found: {method} {path}{hint}")

    def _parse_resource(
        self, body: Any, schema: str, *, patch: bool
    ) -> tuple[dict[str, Any], bool]:
        """The resource to store (output-only fields dropped) and whether it asks to notify."""
        if not isinstance(body, dict):
            raise _bad_argument("The request body must be a JSON object: the resource.")
        _check_shape(body, schema, "resource", patch=patch)
        notify = body.get("notifyPreference") == "NOTIFY_ON_UPDATE"
        resource = _normalize(
            {k: v for k, v in body.items() if k not in _OUTPUT_ONLY[schema]}, schema
        )
        return (resource if patch else _strip_nulls(resource)), notify

    def _usable_class(self, class_id: str) -> None:
        loyalty_class = self._classes.get(class_id)
        if loyalty_class is None:
            raise ApiError(
                404,
                "classNotFound",
                f"Class not found: {class_id} does not exist; insert the class before its objects.",
            )
        if loyalty_class["reviewStatus"] == "DRAFT":
            raise _invalid(
                f"Class {class_id} is a DRAFT: objects can be created once it is UNDER_REVIEW."
            )

    def _insert(self, kind: str, email: str, body: Any) -> dict[str, Any]:
        schema = _SCHEMA_OF[kind]
        resource, _ = self._parse_resource(body, schema, patch=False)
        _require(resource, "id")
        resource_id = _check_id(resource["id"])
        self._authorize(email, _issuer_of(resource_id))
        if kind == "loyaltyClass":
            resource["reviewStatus"] = _next_review_status(resource.get("reviewStatus"), None)
        _validate_resource(resource, schema)
        if kind == "loyaltyObject":
            self._authorize(email, _issuer_of(resource["classId"]))
            self._usable_class(resource["classId"])
        store: Mapping[str, Any] = self._classes if kind == "loyaltyClass" else self._objects
        if resource_id in store:
            noun = "Class" if kind == "loyaltyClass" else "Object"
            raise ApiError(
                409, "duplicate", f"Resource already exists: {noun} {resource_id} already exists."
            )
        if kind == "loyaltyClass":
            self._classes[resource_id] = resource
            return self._class_out(resource_id)
        self._objects[resource_id] = _StoredObject(resource)
        return self._object_out(resource_id)

    def _get(self, kind: str, email: str, resource_id: str) -> dict[str, Any]:
        self._authorize(email, _issuer_of(_check_id(resource_id)))
        if kind == "loyaltyClass":
            if resource_id not in self._classes:
                raise _not_found(kind, resource_id)
            return self._class_out(resource_id)
        if resource_id not in self._objects:
            raise _not_found(kind, resource_id)
        return self._object_out(resource_id)

    def _update(
        self, kind: str, email: str, resource_id: str, body: Any, *, patch: bool
    ) -> dict[str, Any]:
        schema = _SCHEMA_OF[kind]
        self._authorize(email, _issuer_of(_check_id(resource_id)))
        resource, notify = self._parse_resource(body, schema, patch=patch)
        body_id = resource.get("id")
        if body_id is not None and body_id != resource_id:
            raise _invalid(
                f"resource.id {body_id!r} does not match the id in the URL ({resource_id})"
            )
        if kind == "loyaltyClass":
            current = self._classes.get(resource_id)
        else:
            stored = self._objects.get(resource_id)
            current = None if stored is None else stored.resource
        if current is None:
            raise _not_found(kind, resource_id)
        new = _merge(current, resource) if patch else {"id": resource_id, **resource}
        if kind == "loyaltyClass":
            requested = resource.get("reviewStatus")
            if not patch and requested is None:
                raise _invalid("resource.reviewStatus is required: send UNDER_REVIEW")
            if requested is not None:
                new["reviewStatus"] = _next_review_status(requested, current["reviewStatus"])
        _validate_resource(new, schema)
        if kind == "loyaltyClass":
            changed = _changed(current, new, self.class_notify_fields) if notify else []
            self._classes[resource_id] = new
            if changed:
                self._fan_out(resource_id, "class_update", fields=tuple(changed))
            return self._class_out(resource_id)
        if new["classId"] != current["classId"]:
            self._authorize(email, _issuer_of(new["classId"]))
            self._usable_class(new["classId"])
        changed = _changed(current, new, self.object_notify_fields) if notify else []
        if changed:
            self._check_quota(resource_id)
        self._objects[resource_id].resource = new
        if changed:
            self._notify(resource_id, "update", fields=tuple(changed))
        return self._object_out(resource_id)

    def _add_message(self, kind: str, email: str, resource_id: str, body: Any) -> dict[str, Any]:
        self._authorize(email, _issuer_of(_check_id(resource_id)))
        if not isinstance(body, dict):
            raise _bad_argument('The request body must be a JSON object: {"message": {...}}.')
        _check_shape(body, "AddMessageRequest", "addMessageRequest", patch=False)
        request = _strip_nulls(_normalize(body, "AddMessageRequest"))
        message = request.get("message")
        if not message:
            raise _invalid("addMessageRequest.message is required")
        for name, value, path in _walk(message, "Message", "addMessageRequest.message"):
            check = _CHECKS.get(name)
            if check is not None:
                check(value, path)
        if kind == "loyaltyClass":
            if resource_id not in self._classes:
                raise _not_found(kind, resource_id)
            resource = self._classes[resource_id]
        else:
            if resource_id not in self._objects:
                raise _not_found(kind, resource_id)
            resource = self._objects[resource_id].resource
        messages = list(resource.get("messages") or ())
        if len(messages) >= MAX_MESSAGES:
            raise _invalid(
                f"resource.messages: {resource_id} already has {MAX_MESSAGES} messages, the "
                "maximum; remove some with a PATCH of messages first"
            )
        notify = message.get("messageType") == "TEXT_AND_NOTIFY"
        if notify and kind == "loyaltyObject":
            self._check_quota(resource_id)
        resource["messages"] = [*messages, message]
        if kind == "loyaltyClass":
            if notify:
                self._fan_out(resource_id, "class_message", message_id=message.get("id"))
            return {"resource": self._class_out(resource_id)}
        if notify:
            self._notify(resource_id, "message", message_id=message.get("id"))
        return {"resource": self._object_out(resource_id)}

    def _list(self, kind: str, email: str, query: Mapping[str, list[str]]) -> dict[str, Any]:
        def param(name: str) -> str | None:
            values = query.get(name)
            return values[-1] if values else None

        max_results: int | None = None
        if param("maxResults") not in (None, ""):
            max_results = _as_int(param("maxResults"))
            if max_results is None or max_results < 1:
                raise _bad_argument(
                    f"maxResults must be a positive integer, got {param('maxResults')!r}"
                )
        if kind == "loyaltyClass":
            issuer = param("issuerId")
            if not issuer or not _ISSUER_RE.fullmatch(issuer):
                raise _bad_argument(f"issuerId is required and must be numeric, got {issuer!r}")
            self._authorize(email, issuer)
            scope = f"class:{issuer}"
            ids = [i for i in self._classes if _issuer_of(i) == issuer]
        else:
            class_id = param("classId")
            if not class_id:
                raise _bad_argument("classId is required")
            self._authorize(email, _issuer_of(_check_id(class_id, "class ID")))
            if class_id not in self._classes:
                raise ApiError(404, "classNotFound", f"Class not found: {class_id} does not exist.")
            scope = f"object:{class_id}"
            ids = [i for i, o in self._objects.items() if o.resource["classId"] == class_id]
        offset = self._page_offset(param("token"), scope)
        end = len(ids) if max_results is None else offset + max_results
        page = ids[offset:end]
        pagination: dict[str, Any] = {
            "kind": "walletobjects#pagination",
            "resultsPerPage": len(page),
        }
        if end < len(ids):
            pagination["nextPageToken"] = base64.urlsafe_b64encode(
                _compact({"scope": scope, "offset": end}).encode()
            ).decode()
        out = self._class_out if kind == "loyaltyClass" else self._object_out
        return {"resources": [out(i) for i in page], "pagination": pagination}

    @staticmethod
    def _page_offset(token: str | None, scope: str) -> int:
        if not token:
            return 0
        try:
            decoded = json.loads(_b64url_decode(token))
            offset = decoded["offset"]
            valid = decoded["scope"] == scope and isinstance(offset, int) and offset >= 0
        except (ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            raise _bad_argument(f"Invalid page token: {token!r}")
        return int(offset)

    def _class_out(self, class_id: str) -> dict[str, Any]:
        return {"kind": _KINDS["LoyaltyClass"], **copy.deepcopy(self._classes[class_id])}

    def _object_out(self, object_id: str) -> dict[str, Any]:
        stored = self._objects[object_id]
        out = {"kind": _KINDS["LoyaltyObject"], **copy.deepcopy(stored.resource)}
        if stored.resource["classId"] in self._classes:
            out["classReference"] = self._class_out(stored.resource["classId"])
        if stored.holders > 0:
            out["hasUsers"] = True
        return out

    # --- notifications ---------------------------------------------------------------------------

    def _recent(self, object_id: str, now: float) -> list[Notification]:
        since = now - self.notification_window
        return [n for n in self._notifications_by_object.get(object_id, ()) if n.at > since]

    def _check_quota(self, object_id: str) -> None:
        now = self.now()
        recent = self._recent(object_id, now)
        if len(recent) >= self.notification_limit:
            allowed_at = min(n.at for n in recent) + self.notification_window
            when = dt.datetime.fromtimestamp(allowed_at, dt.UTC).isoformat(timespec="seconds")
            raise ApiError(
                429,
                "quotaExceeded",
                f"Quota exceeded: object {object_id} has had {len(recent)} notifications in the "
                f"last 24 hours, the maximum (TEXT_AND_NOTIFY messages and NOTIFY_ON_UPDATE "
                f"updates both count). The next one is allowed after {when}; send the update "
                "without notifyPreference (or as a TEXT message) meanwhile.",
            )

    def _notify(
        self,
        object_id: str,
        kind: str,
        *,
        fields: tuple[str, ...] = (),
        message_id: str | None = None,
    ) -> None:
        delivered = self._objects[object_id].holders > 0
        notification = Notification(object_id, kind, self.now(), fields, message_id, delivered)
        self._notifications.append(notification)
        self._notifications_by_object.setdefault(object_id, []).append(notification)

    def _fan_out(
        self,
        class_id: str,
        kind: str,
        *,
        fields: tuple[str, ...] = (),
        message_id: str | None = None,
    ) -> None:
        now = self.now()
        for object_id, stored in self._objects.items():
            if (
                stored.resource["classId"] == class_id
                and stored.holders > 0
                and len(self._recent(object_id, now)) < self.notification_limit
            ):
                self._notify(object_id, kind, fields=fields, message_id=message_id)

    # --- the Wallet app: save, delete, callbacks ------------------------------------------------

    def save(self, jwt_token: str) -> SaveResult:
        """What Google does when a user opens a save link and taps "Add": verify the JWT, insert
        the resources it carries that are missing (skinny ``{id, classId}`` references must
        exist), mark the objects saved (``hasUsers``) and POST a ``save`` callback for each to
        its class's ``callbackOptions.url`` (or the issuer's). Raises ``SaveRejected``."""
        pending: list[tuple[str, dict[str, Any]]] = []
        with self._lock:
            email, payload = self._verify_save_jwt(jwt_token)
            unsupported = sorted(set(payload) - {"loyaltyClasses", "loyaltyObjects"})
            if unsupported:
                raise SaveRejected(f"payload keys not supported by this fake: {unsupported}")
            classes, objects = dict(self._classes), dict(self._objects)
            try:
                object_ids = self._apply_save(email, payload)
            except ApiError as exc:
                self._classes, self._objects = classes, objects
                raise SaveRejected(f"The pass could not be saved: {exc.message}") from None
            for object_id in object_ids:
                stored = self._objects[object_id]
                stored.holders += 1
                url = self._callback_url(stored.resource["classId"])
                if url:
                    pending.append((url, self.build_callback(object_id, "save")))
        deliveries = [self._deliver(url, body) for url, body in pending]
        return SaveResult(object_ids, deliveries)

    def delete_from_wallet(self, object_id: str) -> CallbackDelivery | None:
        """A holder removes the pass: ``hasUsers`` drops when nobody holds it any more, and a
        ``del`` callback is POSTed (returned; ``None`` without a callback URL)."""
        with self._lock:
            stored = self._objects.get(object_id)
            if stored is None or stored.holders == 0:
                raise ValueError(f"{object_id} is not saved in any wallet")
            stored.holders -= 1
            url = self._callback_url(stored.resource["classId"])
            body = self.build_callback(object_id, "del") if url else None
        return self._deliver(url, body) if url and body else None

    def redeliver(self, delivery: CallbackDelivery) -> CallbackDelivery:
        """POST the same callback again (same nonce): Google's delivery may duplicate."""
        return self._deliver(delivery.url, delivery.body)

    def _verify_save_jwt(self, token: str) -> tuple[str, dict[str, Any]]:
        try:
            header, claims, signing_input, signature = _decode_jwt(token)
        except ValueError as exc:
            raise SaveRejected(str(exc)) from None
        if header.get("alg") != "RS256":
            raise SaveRejected(f"the JWT must be signed RS256, not {header.get('alg')!r}")
        account = self._accounts.get(str(header.get("kid")))
        if account is None:
            raise SaveRejected(f"the JWT's kid {header.get('kid')!r} is no registered key")
        if not _verify_rs256(account.public_key, signing_input, signature):
            raise SaveRejected("the JWT's signature does not verify")
        if claims.get("iss") != account.email:
            raise SaveRejected(f"iss {claims.get('iss')!r} is not the signing key's account")
        if claims.get("aud") != "google":
            raise SaveRejected(f"aud must be 'google', not {claims.get('aud')!r}")
        if claims.get("typ") != "savetowallet":
            raise SaveRejected(f"typ must be 'savetowallet', not {claims.get('typ')!r}")
        payload = claims.get("payload")
        if not isinstance(payload, dict):
            raise SaveRejected("payload is required")
        return account.email, payload

    def _apply_save(self, email: str, payload: Mapping[str, Any]) -> list[str]:
        for body in payload.get("loyaltyClasses") or ():
            if not (isinstance(body, dict) and body.get("id") in self._classes):
                self._insert("loyaltyClass", email, body)
        objects = payload.get("loyaltyObjects") or ()
        if not isinstance(objects, list) or not objects:
            raise _invalid("payload.loyaltyObjects is empty: nothing to save")
        object_ids = []
        for body in objects:
            if not isinstance(body, dict):
                raise _invalid("payload.loyaltyObjects entries must be objects")
            object_id = body.get("id")
            stored = self._objects.get(object_id) if isinstance(object_id, str) else None
            if stored is not None:
                self._authorize(email, _issuer_of(str(object_id)))
                if body.get("classId", stored.resource["classId"]) != stored.resource["classId"]:
                    raise _invalid(f"{object_id} belongs to {stored.resource['classId']}")
            elif set(body) <= {"id", "classId"}:
                raise ApiError(
                    404,
                    "resourceNotFound",
                    f"object {object_id!r} does not exist: a JWT that names only id and classId "
                    "needs the object inserted through the API first",
                )
            else:
                self._insert("loyaltyObject", email, body)
            object_ids.append(str(object_id))
        return object_ids

    def _callback_url(self, class_id: str) -> str | None:
        options = self._classes.get(class_id, {}).get("callbackOptions") or {}
        url = options.get("url") or self.issuer_callback_urls.get(_issuer_of(class_id))
        return str(url) if url else None

    def root_keys_json(self) -> dict[str, Any]:
        """What ``GET /keys`` answers (Google's ``pay.google.com/gp/m/issuer/keys`` format)."""
        with self._lock:
            return {
                "keys": [
                    {
                        "keyValue": _spki_b64(key.public_key()),
                        "protocolVersion": PROTOCOL_VERSION,
                        "keyExpiration": str(expiration),
                    }
                    for key, expiration in self._root_keys
                ]
            }

    def rotate_root_key(self, *, keep_old: bool = True) -> None:
        """A new root key signs from now on; the old ones stay listed unless ``keep_old`` is
        false."""
        key = ec.generate_private_key(ec.SECP256R1())
        expiration = int((self.now() + self.root_key_lifetime) * 1000)
        with self._lock:
            if not keep_old:
                self._root_keys.clear()
            self._root_keys.append((key, expiration))

    def build_callback(
        self,
        object_id: str,
        event_type: str,
        *,
        exp_offset_ms: int | None = None,
        tamper: bool | str = False,
        nonce: str | None = None,
        class_id: str | None = None,
        issuer_id: str | None = None,
        sender_id: str | None = None,
        key_expiration_offset_ms: int | None = None,
        unknown_root: bool = False,
        count: int = 1,
    ) -> dict[str, Any]:
        """A signed ECv2SigningOnly callback body, not sent.

        ``exp_offset_ms``: ``expTimeMillis`` relative to now (negative: expired).
        ``key_expiration_offset_ms``: the intermediate key's expiration relative to now.
        ``unknown_root``: the intermediate key is signed by a root key ``/keys`` does not list.
        ``tamper``: break it after signing: ``True``/``"message"`` (the signed message's
        eventType is flipped), ``"signed_key"`` (the intermediate key's expiration changed),
        ``"signature"`` (the message signature is corrupted), ``"key_signature"`` (the
        intermediate key's signature is corrupted) or ``"protocol"`` (protocolVersion ECv1).
        """
        with self._lock:
            stored = self._objects.get(object_id)
            if class_id is None:
                if stored is None:
                    raise ValueError(f"unknown object {object_id}: pass class_id")
                class_id = str(stored.resource["classId"])
            root = self._root_keys[-1][0]
        now_ms = int(self.now() * 1000)
        sender = self.sender_id if sender_id is None else sender_id
        issuer = issuer_id or _issuer_of(object_id)
        message = {
            "classId": class_id,
            "objectId": object_id,
            "eventType": event_type,
            "expTimeMillis": now_ms
            + (self.callback_exp_ms if exp_offset_ms is None else exp_offset_ms),
            "count": count,
            "nonce": nonce or secrets.token_hex(16),
        }
        signed_message = _compact(message)
        key_offset = (
            int(self.intermediate_key_lifetime * 1000)
            if key_expiration_offset_ms is None
            else key_expiration_offset_ms
        )
        key_expiration = now_ms + key_offset
        intermediate = {
            "keyValue": _spki_b64(self._intermediate_key.public_key()),
            "keyExpiration": str(key_expiration),
        }
        signed_key = _compact(intermediate)
        if unknown_root:
            root = ec.generate_private_key(ec.SECP256R1())
        key_signature = _ecdsa_b64(root, _lv(sender) + _lv(PROTOCOL_VERSION) + _lv(signed_key))
        signature = _ecdsa_b64(
            self._intermediate_key,
            _lv(sender) + _lv(issuer) + _lv(PROTOCOL_VERSION) + _lv(signed_message),
        )
        protocol = PROTOCOL_VERSION
        mode = "message" if tamper is True else tamper
        if mode == "message":
            flipped = "del" if event_type == "save" else "save"
            signed_message = _compact({**message, "eventType": flipped})
        elif mode == "signed_key":
            signed_key = _compact({**intermediate, "keyExpiration": str(key_expiration + 1)})
        elif mode == "signature":
            signature = _corrupt(signature)
        elif mode == "key_signature":
            key_signature = _corrupt(key_signature)
        elif mode == "protocol":
            protocol = "ECv1"
        elif mode:
            raise ValueError(f"unknown tamper mode {tamper!r}")
        return {
            "signature": signature,
            "intermediateSigningKey": {"signedKey": signed_key, "signatures": [key_signature]},
            "protocolVersion": protocol,
            "signedMessage": signed_message,
        }

    def _deliver(self, url: str, body: dict[str, Any]) -> CallbackDelivery:
        data = json.dumps(body).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "FakeGoogle-WalletCallbacks/1.0",
        }
        status: int | None = None
        error: str | None = None
        try:
            if self._callback_transport is not None:
                status = int(self._callback_transport(url, data, headers))
            elif not (self.allow_external_callbacks or _is_loopback(url)):
                error = f"not sent: {url} is not on a loopback host (allow_external_callbacks)"
            else:
                request = urllib.request.Request(url, data=data, headers=headers, method="POST")
                with self._opener.open(request, timeout=self.callback_timeout) as response:
                    response.read()
                    status = int(response.status)
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
        except OSError as exc:  # URLError, refused, timeout
            error = str(exc)
        delivery = CallbackDelivery(url, body, status, error, self.now())
        with self._lock:
            self.callbacks_sent.append(delivery)
        return delivery

    def _save_route(self, token: str) -> tuple[int, dict[str, Any]]:
        try:
            result = self.save(urllib.parse.unquote(token))
        except SaveRejected as exc:
            return 400, {"error": {"code": 400, "message": str(exc)}}
        return 200, {
            "saved": result.object_ids,
            "callbacks": [delivery.status for delivery in result.callbacks],
        }


def _batch_calls(content_type: str, raw: bytes) -> list[tuple[str | None, str, str, str]]:
    """The (Content-ID, method, target, body) of each call of a batch request body.

    Raises:
        ApiError: 400 when the body is not a multipart/mixed of 1 to 1,000 HTTP requests.
    """
    kind, _, params = content_type.partition(";")
    boundary = ""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary":
            boundary = value.strip('"')
    if kind.strip().lower() != "multipart/mixed" or not boundary:
        raise _bad_argument("A batch request must be multipart/mixed with a boundary.")
    sections = raw.split(b"--" + boundary.encode())
    if len(sections) < 3 or not sections[-1].startswith(b"--"):
        raise _bad_argument("The batch body is not a closed multipart body.")
    calls: list[tuple[str | None, str, str, str]] = []
    for section in sections[1:-1]:
        section = section.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, found, http = section.partition(b"\r\n\r\n")
        part_headers = _header_lines(head.decode("latin-1").split("\r\n"))
        part_type = part_headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not found or part_type != "application/http":
            raise _bad_argument("Each part of a batch must be Content-Type: application/http.")
        request_head, _, body = http.partition(b"\r\n\r\n")
        lines = request_head.decode("latin-1").split("\r\n")
        request_line = lines[0].split()
        if len(request_line) not in (2, 3) or request_line[0] not in _BATCH_METHODS:
            raise _bad_argument(f"Bad request line in a batch part: {lines[0][:100]!r}")
        length = _header_lines(lines[1:]).get("Content-Length")
        if length is not None and length.isdigit():
            body = body[: int(length)]
        content_id = part_headers.get("Content-ID")
        content_id = content_id.strip().strip("<>") if content_id else None
        calls.append(
            (content_id, request_line[0], request_line[1], body.decode("utf-8", "replace"))
        )
    if not 1 <= len(calls) <= MAX_BATCH_CALLS:
        raise _bad_argument(
            f"A batch request holds 1 to {MAX_BATCH_CALLS} calls, this one {len(calls)}."
        )
    return calls


_BATCH_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


def _header_lines(lines: Sequence[str]) -> CaseInsensitiveDict[str]:
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for line in lines:
        name, found, value = line.partition(":")
        if found:
            headers[name.strip()] = value.strip()
    return headers


def _reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _corrupt(signature_b64: str) -> str:
    raw = bytearray(base64.b64decode(signature_b64))
    raw[-1] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


# --- rerouting requests sessions ----------------------------------------------------------------


class _RerouteAdapter(HTTPAdapter):
    """Sends a request for ``https://<google host>/<path>`` to ``<base_url>/<path>``."""

    __attrs__ = [*HTTPAdapter.__attrs__, "base_url", "close_connections"]  # kept by deepcopy

    def __init__(self, base_url: str = "", close_connections: bool = False) -> None:
        self.base_url = base_url
        self.close_connections = close_connections
        super().__init__()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        split = urllib.parse.urlsplit(request.url or "")
        request.url = self.base_url + urllib.parse.urlunsplit(("", "", split.path, split.query, ""))
        if self.close_connections:
            request.headers["Connection"] = "close"
        return super().send(request, *args, **kwargs)


class _ReroutedAuthorizedSession(AuthorizedSession):
    def __init__(self, credentials: Any, fake: FakeGoogle) -> None:
        auth_request, self._token_session = fake.auth_request()
        super().__init__(credentials, auth_request=auth_request)  # type: ignore[no-untyped-call]
        fake.reroute(self)

    def close(self) -> None:
        try:
            super().close()  # type: ignore[no-untyped-call]
        finally:
            self._token_session.close()


# --- the HTTP server -----------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the connection threads
    block_on_close = True

    def __init__(self, address: tuple[str, int], fake: FakeGoogle) -> None:
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._closing = False
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            if self._closing:
                _shutdown(connection)
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Wake the threads waiting on keep-alive connections so that they end."""
        with self._connections_lock:
            self._closing = True
            for connection in self._connections:
                _shutdown(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away; the fake's own bugs are caught in _dispatch


def _shutdown(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ESF"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        try:
            raw = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(400, {"Content-Type": "text/plain"}, b"bad request body")
            return
        fake = self.server.fake
        if fake.latency:
            time.sleep(fake.latency)
        headers = CaseInsensitiveDict(self.headers.items())
        status, out_headers, payload = fake._dispatch(self.command, self.path, headers, raw)
        self._send(status, out_headers, payload)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, headers: Mapping[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:  # the client asked for "Connection: close"
            self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
