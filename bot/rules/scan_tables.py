"""What the scanner reads with: its word tables, its regular expressions and the shape of its findings.

Private to the scanner (``bot/rules/scan.py`` and the modules it is split into); the names
keep their underscores so that they read as the scanner's own. Why each search starts with
a literal character, and what each table keeps out, is said beside it.
"""

from __future__ import annotations

import re

# Top-level domains that are also common words at the start of a clause. A bare
# "word.<one of these>" is only a link with more evidence (see module docstring).
AMBIGUOUS_TLDS = frozenset(
    """
    ai am an app art as at bar be best buy by care cat cc center click club cm co day deal do
    doctor er fit fun gay gift go gp guru help hiv home how hr id im in is it kg kim lb life
    links live lol love md me men mg ml mm moe mom mov ms my new news no now one pa page pay pet ph
    pics pl plus pm pro ps pt pub py red rest rs run sale save sh show si so spa st talk tax team
    tips to today top tv us vet vip wiki win work world wow wtf yoga you zip zone
    """.split()
)

# Top-level domains that are never a sentence run-on even when capitalised ("Webmd.Com").
STRONG_TLDS = frozenset({"com", "net", "org", "edu", "gov"})

# Suffixes accepted after a spelled-out " dot " ("example dot com"); an everyday word
# after "dot" ("a dot in the box") must not become a domain.
SPELLED_TLDS = (
    "com|net|org|edu|gov|info|biz|io|co|uk|ca|au|nz|ie|de|fr|nl|es|ru|cn|jp|br|za|ch|se|"
    "xyz|online|site|shop|store|ly|gg|tv|health|care"
)

# Email providers: "jane at gmail.com" is an address even though "at" is everyday English.
EMAIL_PROVIDERS = frozenset(
    """
    gmail.com googlemail.com yahoo.com yahoo.co.uk ymail.com hotmail.com hotmail.co.uk outlook.com
    live.com msn.com aol.com icloud.com me.com mac.com proton.me protonmail.com gmx.com gmx.net mail.com
    zoho.com yandex.com yandex.ru comcast.net verizon.net att.net sbcglobal.net btinternet.com sky.com
    shaw.ca rogers.com bigpond.com fastmail.com tutanota.com hey.com
    """.split()
)

# Words that, before a spelled-out " at ", are prose rather than an address's name ("my story at
# mayoclinic[.]org", "look at webmd[.]com"): with only an obfuscation for evidence, "word at host"
# is a link. (A mail provider or an address-like name still makes it an address.)
PROSE_BEFORE_AT = frozenset(
    """
    look looking looked looks see seen saw read reading it this that them him her me us you here there
    story stories article articles post posts posted page pages blog site website web online video videos
    found find available listed published check checked out more details guide forum group answer answers
    research study studies information anything something everything link links stuff help advice
    """.split()
)

# The pre-check is one regular expression: each alternative starts with a literal character
# (".", "@", ":", "d", "D", a bracket or a full-width mark), so the regex engine skips through
# the text with a fast set-membership test and tries the pattern only at those characters.
# One search costs about half of the separate substring tests and per-dot loop it replaces,
# and scales better on long posts. A match is the first place a link or email address could
# start.
LINK_HINT = re.compile(
    # A dot between a host character (a letter or digit, or what the normaliser removes:
    # hyphen, underscore, soft hyphen, zero-width characters) and a letter that is followed by
    # one more character ("example.com", also "example.\u200bcom"); or before the last part of
    # an IPv4 address with a path or port. Not "a.m.", "e.g." or "2.5mg".
    r"\.(?:(?<=[\w\-\u00ad\u034f\u180e\u200b-\u200f\u2060-\u2064\ufeff]\.)"
    r"(?=[\u00ad\u200b-\u200f\u2060\ufeff]*[^\W\d_][^\s.]|\d{1,3}[/:])"
    # A spaced dot before a word: "example . com", "example .com".
    r"|(?<= \.)\s?[^\W\d_]{2})"
    # An "@" between a name character and a letter or digit: "jane@gmail".
    r"|@(?<=[\w.+\-%]@)(?=[^\W_])"
    # A scheme's ":/" (or ":\\"), and a spelled-out "dot".
    r"|:[/\\]|dot|DOT|Dot"
    # A bracketed ".", "@", ":", "dot" or "at": "example[.]com", "jane (at) gmail".
    r"|\[\s*(?:[.@:]|(?i:dot|at))\s*[\])}]"
    r"|\(\s*(?:[.@:]|(?i:dot|at))\s*[\])}]"
    r"|\{\s*(?:[.@:]|(?i:dot|at))\s*[\])}]"
    # Full-width and ideographic stand-ins for ".", "@" and ":" (NFKC folds them).
    "|\uff0e|\u3002|\uff61|\uff20|\uff1a|\ufe52|\u2024"
)
_LINK_HINT = LINK_HINT.search

_HXXP = re.compile(r"\bh(?:xx|XX|\*\*|tt|TT)p(s?)\s*(?:\[:\]|\(:\)|:)\s*(?=[/\\])", re.IGNORECASE)
_BRACKET_TOKEN = re.compile(r"[\[({]\s*(?:(\.|dot)|(@|at))\s*[\])}]", re.IGNORECASE)
# The same, one per opening bracket: led by a literal, each finds whether the text has such
# a token faster than the character-set-led pattern above (used to replace them).
_PAREN_TOKEN = re.compile(r"\(\s*(?:\.|dot|@|at)\s*[\])}]", re.IGNORECASE).search
_SQUARE_TOKEN = re.compile(r"\[\s*(?:\.|dot|@|at)\s*[\])}]", re.IGNORECASE).search
_CURLY_TOKEN = re.compile(r"\{\s*(?:\.|dot|@|at)\s*[\])}]", re.IGNORECASE).search
_SPELLED_DOT = re.compile(rf"\s+(?:dot\s+|\.\s*)(?=(?:{SPELLED_TLDS})\b)", re.IGNORECASE)
# "jane dot doe at gmail": a dotted name before a spelled-out "at".
_SPELLED_NAME_DOT = re.compile(r"(?<=\w)\s+dot\s+(?=\w+\s+(?:at|\[at\]|\(at\))\s)", re.IGNORECASE)
_ZERO_WIDTH = re.compile("[\u00ad\u034f\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
_DISCORD_TOKEN = re.compile(r"<(?:@[!&]?\d+|#\d+|a?:\w+:\d+|t:-?\d+(?::\w)?|/[\w -]+:\d+)>")

# Candidates in normalised text (a dot before a letter or an IPv4 address's last part, an
# "@", a scheme's ":/"), each with the rest of its token: the match ends at the first
# whitespace after the candidate.
_NEXT_CANDIDATE = re.compile(r"(?:\.(?=[^\W\d_])|\.\d{1,3}[/:]|@|:[/\\])\S*").search
# The same for a text with no "@" and no ":": led by its literal ".", the search skips
# ahead faster than the character-set test above can.
_NEXT_DOT_CANDIDATE = re.compile(r"\.(?:(?=[^\W\d_])|\d{1,3}[/:])\S*").search

_SCHEME_URL = re.compile(r"\b(?:https?|ftps?|sftp|wss?):[/\\]{1,3}[^\s<>\"'`|]+", re.IGNORECASE)
# The longest scheme before a ":" ("https", "sftp"): a scheme URL starts at most this far
# before the token's first colon, so the search for one can start there.
_LONGEST_SCHEME = 5
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_HOST = rf"(?:{_LABEL}\.)+[^\W\d_][\w-]{{0,62}}"
_EMAIL = re.compile(rf"(?<![\w.+%-])([\w.+%-]{{1,64}})@({_HOST})(?![\w-])")
_HOST_TOKEN = re.compile(rf"[(\[{{<\"']*({_HOST})(?![\w@-])")
_LOCAL_PART = re.compile(r"[\w.+%-]{1,64}")
# A name with a dot, "_", "+" or a digit ("jane.doe", "jane42") reads as an address's name.
_ADDRESS_LIKE_NAME = re.compile(r"[._+0-9]").search
# A bare host starts where the character before it (if any) is none of [\w@.%-]; it is
# followed by an optional port and path. Written with a lookbehind, the pattern would be
# tried at every position of the token. Instead:
# - at the token's start, the host is read from the run of host characters there. How much
#   of the run the host pattern takes depends only on the run and on whether an "@" follows
#   it, so that is worked out once per run (_host_length, cached) rather than by a
#   backtracking regex on every token; the port and path are matched after it;
# - after that, the pattern consumes the separator before a host (group 1 the host, group 2
#   its port and path), so the regex engine skips to separators with a character-set test.
_PORT_AND_PATH = r"(?::\d{1,5})?(?:[/?#][^\s<>\"'`|]*)?"
_HOST_RUN = re.compile(r"[\w.-]*").match
_HOST_IN_RUN = re.compile(rf"{_HOST}(?![\w@-])").match
_PORT_AND_PATH_AT = re.compile(_PORT_AND_PATH).match
_BARE_AFTER_SEPARATOR = re.compile(rf"[^\w@.%-]({_HOST})(?![\w@-])({_PORT_AND_PATH})").finditer
_SHORTEST_HOST_AFTER_SEPARATOR = len(",a.b")
_IPV4_WITH_PATH = re.compile(
    r"(?<![\w.])((?:\d{1,3}\.){3}\d{1,3})((?::\d{1,5})(?:[/?#][^\s<>\"'`|]*)?|[/?#][^\s<>\"'`|]*)"
)
# Every IPv4 address has a digit on both sides of a dot (led by its literal, this is a fast scan).
_DIGIT_DOT_DIGIT = re.compile(r"\.(?<=\d\.)(?=\d)").search
# In a URL: the scheme and its colon, the slashes after it, then the authority (group 1),
# which runs to the first "/", "?" or "#" (where the path starts).
_AUTHORITY = re.compile(r"[^:]*:/*([^/?#]*)").match
# The shapes nearly every token with a link has, read by one match over the whole token
# (a fullmatch from the token's start to its end), with a named group per part:
# - a run of host characters and a path, with no ":" and no "@" ("example.org/page?x=1",
#   also "e.g." and "a.m."): "run" and "tail";
# - an email address and nothing else ("jane.doe@gmail.com"): "local" and "domain";
# - a scheme URL ("https://www.webmd.com/back-pain"), perhaps inside "<…>", "(…)" or a
#   markdown link "[text](…)" whose text has no dot: group "url" and, inside it, its
#   "authority" and "path". Neither holds "\\" (which browsers read as "/"), and the URL
#   ends where _SCHEME_URL's would ("close" is what follows, without a dot).
# No token fits two shapes (only a URL has a ":", only an address an "@" without one), and
# each shape fails at its first misfit character (possessive repeats, no backtracking),
# so the commonest, shortest shapes come first.
# Any other token (a port, two links in one token, a dot beside the link…) goes through
# _scan_token, which handles every case; on these shapes both give the same answer
# (tests/rules/test_scan_shortcuts.py), and one match replaces a dozen slices, searches
# and calls.
_URL_CHAR = r"[^\s<>\"'`|\\]"
_WHOLE_TOKEN = re.compile(
    r"(?P<run>[\w.-]++)(?P<tail>(?:[/?#][^\s<>\"'`|:@]*+)?)"
    rf"|(?P<local>[\w.+%-]{{1,64}}+)@(?P<domain>{_HOST})"
    rf"|[^\s.:]*?\b(?P<url>(?i:https?|ftps?|sftp|wss?):/+(?P<authority>[^\s<>\"'`|\\/?#]*+)"
    rf"(?P<path>(?:[/?#]{_URL_CHAR}*+)?))(?P<close>[<>\"'`|][^\s.]*+)?"
).fullmatch
_TRAILING = ".,;:!?'\"*_~"
# What _trim may remove: the trailing punctuation and closing brackets.
_TRIMMABLE = frozenset(_TRAILING + ")]")

# Found links as url -> (host, path), in order of appearance; email addresses as the keys of
# a dict (ordered and deduplicated). Plain tuples: a named tuple costs several times more to
# build, and the engine turns each link into a Link anyway.
Links = dict[str, tuple[str, str]]
Emails = dict[str, None]
