"""A deterministic generator of realistic spine and arthritis patient chat, for benchmarks.

``generate(n, seed, link_share)`` returns ``n`` messages written by a pool of about 300
authors. Most are plain patient talk (symptoms, surgeries, meds with doses, spine levels,
dates, abbreviations, ellipses, a missing space after a full stop, emoji, curly quotes,
Discord mentions, some other languages), from one-liners to long paragraphs. About
``link_share`` of them carry one or two links or email addresses, in every form the
policy engine is meant to catch: plain, obfuscated, encoded or dressed up.

``CorpusMessage.has_link`` is the ground truth: True exactly when the generator inserted a
link or an email address. Nothing else in a message is meant to be one; where the engine
disagrees on a clean message, the text is usually a near miss worth a look (see
``bench/engine.py``, which counts them).

Everything comes from one seeded :class:`random.Random` and is iterated in a fixed order
(lists and tuples, never sets of strings), so a seed gives the same corpus on every run.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "AUTHOR_POOL_SIZE",
    "CHANNEL_ID",
    "GUILD_ID",
    "LINK_KINDS",
    "MAX_LENGTH",
    "CorpusAuthor",
    "CorpusMessage",
    "author_pool",
    "generate",
]

# The server and channel the corpus is "posted" in (Discord jump links in the corpus point here).
GUILD_ID = 1148290451276845137
CHANNEL_ID = 1148290452044402770
AUTHOR_POOL_SIZE = 300
# Discord's limit for a message's content (without Nitro).
MAX_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class CorpusAuthor:
    """A member of the pool: enough to build both the engine's facts and a Discord payload."""

    user_id: int
    username: str
    global_name: str | None
    avatar: str | None
    joined_at: str
    is_moderator: bool
    trusted: bool
    approved_posts: int


@dataclass(frozen=True, slots=True)
class CorpusMessage:
    """One chat message and the ground truth of what the generator put in it."""

    text: str
    has_link: bool
    author_id: int
    mention_ids: tuple[int, ...] = ()
    link_kinds: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------


def _items(text: str) -> tuple[str, ...]:
    """The items of a "|"-separated list (keeps long word lists readable)."""
    return tuple(item.strip() for item in text.split("|"))


_LEVELS = _items("L4/5 | L5-S1 | L5/S1 | C5/6 | C6-7 | C5-C6 | L3-L4 | L4-5 | L4/L5 | C4/5 | T12 | L2-3 | T11-T12")
_SURGERIES = _items(
    "L4/5 fusion | C5/6 ACDF | laminectomy | microdiscectomy | SI joint fusion | knee replacement | "
    "total knee replacement | hip replacement | ACDF | TLIF at L4/5 | ALIF at L5-S1 | "
    "disc replacement at C5/6 | 2-level fusion (L4-S1) | spinal cord stimulator trial | "
    "RFA (radiofrequency ablation) | kyphoplasty | foraminotomy | laminoplasty | revision surgery"
)
_CONDITIONS = _items(
    "rheumatoid arthritis | RA | osteoarthritis | OA in both knees | DDD | degenerative disc disease | "
    "spinal stenosis | sciatica | a herniated disc | a bulging disc | spondylolisthesis | "
    "ankylosing spondylitis | fibromyalgia | psoriatic arthritis | failed back surgery syndrome | "
    "scoliosis | facet joint arthritis | piriformis syndrome | SI joint dysfunction | "
    "cervical radiculopathy | lupus | gout"
)
_MEDS = (
    ("gabapentin", ("300mg", "600 mg", "300 mg 3x a day", "100mg at night")),
    ("Lyrica", ("75mg", "150 mg", "25mg")),
    ("tramadol", ("50mg", "50 mg twice a day")),
    ("methotrexate", ("15mg weekly", "2.5mg tablets", "0.5ml injection", "20 mg/week")),
    ("Humira", ("40mg", "40 mg every other week")),
    ("prednisone", ("5mg", "10 mg", "2.5mg", "a 6-day taper")),
    ("meloxicam", ("7.5mg", "15 mg")),
    ("naproxen", ("500mg", "220 mg")),
    ("ibuprofen", ("400mg", "800 mg", "600mg")),
    ("oxycodone", ("5mg", "10 mg")),
    ("cyclobenzaprine", ("10mg", "5 mg")),
    ("duloxetine", ("30mg", "60 mg")),
    ("Cymbalta", ("30mg", "60mg")),
    ("Enbrel", ("50mg", "50 mg weekly")),
    ("hydroxychloroquine", ("200mg", "400 mg")),
    ("Plaquenil", ("200mg",)),
    ("celecoxib", ("200 mg",)),
    ("Toradol", ("0.5ml", "30mg", "60 mg shot")),
    ("amitriptyline", ("10 mg", "25mg")),
    ("baclofen", ("10mg", "20 mg")),
    ("vitamin D", ("1000 IU", "50,000 IU weekly")),
    ("a Medrol dose pack", ("4mg",)),
    ("lidocaine patches", ("5%", "4%")),
    ("diclofenac gel", ("1%",)),
)
_DOCTORS = _items(
    "Dr. Patel | Dr. Nguyen | Dr. O'Brien | Dr. Schmidt | Dr. Okafor | Dr.Kim | Dr Lee | my surgeon | "
    "my PCP | my rheumatologist | my rheumy | the PM doc | my neurosurgeon | my ortho | the PA | "
    "my physio | my PT | the anesthesiologist"
)
_DURATIONS = _items(
    "3 weeks | six months | 2 yrs | 10 days | a year and a half | about 8 months | 5 years | "
    "two weeks | 4 months | since 2016 | 48 hrs"
)
_BODY = _items(
    "lower back | neck | left leg | right leg | right hip | both knees | SI joint | shoulder blades | "
    "tailbone | hands | feet | left arm | buttock | calf"
)
_SYMPTOMS = _items(
    "numbness | tingling | burning pain | sharp pain | stiffness | spasms | nerve pain | swelling | "
    "morning stiffness | foot drop | weakness | pins and needles | a dull ache | shooting pain | "
    "fatigue"
)
_TESTS = ("MRI", "CT scan", "X-ray", "EMG", "bone scan", "nerve conduction study", "myelogram", "DEXA scan")
_TREATMENTS = _items(
    "an ESI | epidural steroid injections | facet injections | PT | aqua therapy | a TENS unit | "
    "acupuncture | chiro | nerve blocks | dry needling | massage | heat and ice | yoga | "
    "a back brace"
)
_FEELINGS = _items(
    "frustrated | exhausted | hopeful | scared | so tired | a bit better | worse than before | "
    "anxious | grateful | down | optimistic | overwhelmed"
)
_PEOPLE = ("my husband", "my wife", "my daughter", "my son", "my mum", "my mom", "my partner", "my boss", "my sister")
_ACTIVITIES = _items(
    "walk the dog | sit through a movie | drive more than 20 minutes | sleep on my side | "
    "lift my grandson | do the dishes | stand in the shower | work a full day | garden | "
    "get out of bed | sit at my desk | go up the stairs"
)
_NUMBERS = ("2", "3", "4", "5", "6", "7", "8", "10", "12", "two", "three", "four", "five", "six")
_PAIN = ("3/10", "4/10", "5/10", "6/10", "7/10", "8/10", "9/10", "a 7", "an 8", "about a 6")
_EMOJI = _items("😊 | 🙏 | 💪 | 😢 | 😩 | ❤️ | 🤞 | 😂 | 👍 | 🥲 | 😭 | 🤗 | 💜 | 🌸 | 🙂 | 😬 | 🫶 | 😴")
_EMOTICONS = (":)", ":(", ";)", ":-)", ":/", ":D", "<3", "xx", "((hugs))", "lol", "haha", ":'(")
_CUSTOM_EMOJI = ("<:spinehug:1148301120446939177>", "<:spoonie:1148301188348526653>", "<a:wave:1148301250612961280>")
_OPENERS = _items(
    "Hi all | Hey everyone | Hello | Morning all | Hi | Update | Quick question | Ok so | Well | Ugh | "
    "Thanks everyone | Welcome | Good news | Sorry for the long post"
)
_TIMES = _items("7 a.m. | 3am | 11pm | 3:30pm | 6am | 2 in the morning | 10:15 a.m. | 9 p.m. | 8am | noon | 4 pm")


def _date(rng: random.Random) -> str:
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    year = rng.randint(2008, 2025)
    form = rng.randrange(7)
    if form == 0:
        return f"{day}.{month}.{year % 100:02d}"
    if form == 1:
        return f"{month:02d}/{day:02d}/{year}"
    if form == 2:
        return f"{day}/{month}"
    if form == 3:
        return f"{day:02d}.{month:02d}.{year}"
    if form == 4:
        return f"{year}-{month:02d}-{day:02d}"
    months = ("Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec")
    if form == 5:
        return f"{months[month - 1]} {day}"
    name = months[month - 1]
    return f"{name}. {year}" if len(name) == 3 or name == "Sept" else f"{name} {year}"


def _med(rng: random.Random) -> str:
    name, doses = rng.choice(_MEDS)
    return f"{name} {rng.choice(doses)}"


def _pick(options: Sequence[str]) -> Callable[[random.Random], str]:
    return lambda rng: rng.choice(options)


_SLOTS: dict[str, Callable[[random.Random], str]] = {
    "level": _pick(_LEVELS),
    "surgery": _pick(_SURGERIES),
    "condition": _pick(_CONDITIONS),
    "med": _med,
    "medname": lambda rng: rng.choice(_MEDS)[0],
    "doctor": _pick(_DOCTORS),
    "duration": _pick(_DURATIONS),
    "body": _pick(_BODY),
    "symptom": _pick(_SYMPTOMS),
    "test": _pick(_TESTS),
    "treatment": _pick(_TREATMENTS),
    "feeling": _pick(_FEELINGS),
    "person": _pick(_PEOPLE),
    "activity": _pick(_ACTIVITIES),
    "n": _pick(_NUMBERS),
    "pain": _pick(_PAIN),
    "date": _date,
    "time": _pick(_TIMES),
    "opener": _pick(_OPENERS),
}

# Sentences of patient chat; {slot}s are filled from the vocabulary above.
_SENTENCES = (
    "I had my {surgery} on {date}.",
    "I had {surgery} {duration} ago and I'm still dealing with {symptom} in my {body}.",
    "My {test} showed a herniation at {level} and some stenosis at {level}.",
    "{doctor} wants me to try {treatment} before we talk about surgery.",
    "I'm on {med} and it takes the edge off but that's about it.",
    "Has anyone tried {medname}? {doctor} just put me on {med}.",
    "The {symptom} in my {body} is worse in the mornings, e.g. when I first get up.",
    "Pain is {pain} today, which for me is a good day!",
    "Pain was {pain} last night... couldn't sleep at all.",
    "I was diagnosed with {condition} on {date}.",
    "I've had {condition} for {duration} now.",
    "My appt with {doctor} is at {time} tomorrow.",
    "Woke up at {time} with {symptom} again.",
    "Does anyone else get {symptom} after {treatment}?",
    "{treatment} helped for about {n} weeks, then the pain came back.",
    "I can't {activity} anymore without paying for it later.",
    "{person} has been amazing through all of this.",
    "Feeling {feeling} today.",
    "I'm {feeling}, honestly.",
    "Just got home from the hospital after my {surgery}.",
    "Day {n} post-op and the incision looks good.",
    "They fused {level} and {level}, i.e. two levels.",
    "The surgeon said the hardware at {level} looks solid on the {test}.",
    "Went from {med} to {med} and the side effects are much better.",
    "I take {med} in the morning and {med} at night.",
    "My rheumatologist upped my {med}.",
    "Anyone had an {test} with contrast? Was it bad?",
    "I'm scheduled for {surgery} on {date}, wish me luck!",
    "It's been {duration} since my {surgery} and I'm walking {n} miles a day now.",
    "Recovery from {surgery} is no joke.",
    "Sitting is the worst, standing is ok, walking is better.",
    "I think the weather makes my {condition} flare.",
    "Has anyone gone back to work after a {surgery}?",
    "My insurance denied the {test} again, so frustrating.",
    "The nerve pain down my {body} is like an electric shock.",
    "I'm not a doctor but that sounds like it could be {condition}, ask {doctor} about it.",
    "Ice for 20 min, then heat, then ice again, that's my routine.",
    "How long did you wear the brace after your {surgery}?",
    "Sending you gentle hugs.",
    "Hang in there, it does get better.",
    "Thanks for sharing your story, it helps to know I'm not alone.",
    "Welcome to the forum!",
    "Good luck on {date}, let us know how it goes.",
    "I know exactly how you feel.",
    "Same here, {duration} of this and counting.",
    "My {body} has been locking up since {date}.",
    "The PT gave me exercises, e.g. bird dogs, bridges, pelvic tilts etc.",
    "I've tried everything: {treatment}, {treatment}, {treatment}, you name it.",
    "I was told the MRI shows DDD at {level}, whatever that means for me.",
    "I asked {doctor} about a second opinion and they were fine with it.",
    "Follow-up is at {time} on {date}.",
    "I had an EMG done on {date} and it showed L5 radiculopathy.",
    "They said my vitamin D was 18 ng/mL, so now I'm on {med}.",
    "My bloodwork showed CRP of 12.4 and ESR of 35.",
    "I'm 5'4 and about 140 lbs, so not overweight.",
    "I'm 42 yrs old, diagnosed at 35.",
    "I don't know what to do anymore...",
    "Sorry to hear that... that sounds awful.",
    "Not sure if this is the right place to post this.",
    "Long story short, the surgery was a success!",
    "My {n} yr old keeps asking why mommy can't play on the floor.",
    "I drove to St. Mary's for the injection, about {n} hours each way.",
    "Anyway, that's enough about me, how are you all doing?",
    "Off to bed, night all.",
    "Is it normal to still have {symptom} {duration} after {surgery}?",
    "I used to run marathons, now I can barely {activity}.",
    "The swelling in my hands is so bad I can't open jars.",
    "My knees sound like rice krispies when I go up the stairs.",
    "Rheumatoid arthritis isn't just joint pain, the fatigue is the worst part.",
    "My RA is flaring, both wrists and my left knee.",
    "Has anyone had a knee replacement with RA?",
    "I'm getting the SI joint fusion on the left side, the right one was done in 2019.",
    "Laminectomy at {level} was {duration} ago, still numb in my big toe.",
    "I see Dr. Patel at 8 a.m. on Monday for my pre-op.",
    "The a.m. stiffness lasts about 2 hrs.",
    "I use a cane now, vs. before when I could walk fine.",
    "My ortho said surgery is a last resort, i.e. only if the foot drop gets worse.",
    "I get infusions every {n} weeks.",
    "Is 2.5mg of {medname} a lot? It seems like a low dose to me.",
    "Took 0.5ml more than usual by mistake, called the pharmacist and it's fine.",
    "Went up to 10 mg and I feel like a zombie.",
    "Anyone know if {medname} causes weight gain?",
    "Honestly the hardest part is the mental side of it.",
    "I cried in the car after my appt, I'm not ashamed to say it.",
    "We're all in this together.",
    "Kudos to you for pushing through!",
    "I'm praying for you.",
    "That's great news, so happy for you!",
    "Ugh, insurance companies.",
    "Back to square one, I guess.",
    "I'd get a second opinion tbh.",
    "idk, maybe ask {doctor}?",
    "Have you tried a recliner for sleeping?",
    "I sleep with a pillow between my knees and it helps a lot.",
    "The hospital bed at home was a lifesaver the first {n} weeks.",
    "My BMI is 27.5 if that matters.",
    "Pre-op bloodwork is done, just waiting on the cardiologist now.",
    "I was off work for {duration}, went back part time at first.",
    "The incision is about 3.5 inches long.",
    "I'm in the U.K. so it's all NHS, the wait list is {duration}.",
    "I live in the U.S. and the cost of {medname} is insane.",
    "Approx. {n} hrs of decent sleep last night, better than usual.",
    "The ER gave me Toradol and a Medrol pack, no real change.",
    "My surgeon's office said the {test} on {date} was \"unremarkable\" but I'm in agony.",
    'I asked about the "wear and tear" comment and got a blank stare.',
    "The MRI report says mild foraminal narrowing at {level}.",
    "Had my 6-week check today, all good!",
    "I'm 3 months out from my {surgery}.",
)

# Chat replies: most Discord messages are one of these, not a paragraph.
_REPLIES = _items(
    "Thanks! | thank you so much | Same here. | same | me too | Sending hugs 🙏 | hugs | How did it go? | "
    "Good luck tomorrow! | Congrats!! | Oh no 😢 | Feel better soon | That's awesome | "
    "How are you feeling today? | Any update? | Welcome! | +1 | I hear you | ugh same | "
    "So sorry you're going through this | Night all | Morning! | yes | no, not yet | lol | haha yes | "
    "omg | ikr | ty | thx | ok | Definitely ask about that | Did they say why? | Agreed | Wow | "
    "Hang in there | ❤️ | 🙏🙏 | 😂 | good morning everyone | how's everyone doing? | anyone around? | "
    "rough night | Fingers crossed 🤞 | Praying for you | You've got this 💪 | that's rough | Ouch | "
    "is that normal? | when is your surgery? | How long ago was yours? | which level? | Great news!"
)

# Whole sentences in other languages (some with levels and doses).
_FOREIGN = (
    "Me operaron de una fusión L4-L5 hace 3 meses y todavía tengo dolor.",
    "¿Alguien ha probado la pregabalina? Yo tomo 75 mg por la noche.",
    "Gracias por compartir, me siento menos sola 🙏",
    "Ich hatte vor zwei Jahren eine Bandscheiben-OP an L5/S1.",
    "Mein Orthopäde sagt, ich soll Geduld haben…",
    "Kennt jemand gute Übungen für die Lendenwirbelsäule?",
    "J’ai une arthrose cervicale C5/C6, et les douleurs sont terribles le matin.",
    "Merci beaucoup, ça me rassure !",
    "Fiz artrodese na L4-L5 em 12/03/2019 e ainda sinto formigamento.",
    "Ho l’artrite reumatoide da dieci anni, prendo metotrexato 15 mg a settimana.",
    "Po operacji kręgosłupa nadal mam drętwienie w nodze.",
    "У меня грыжа L5-S1, спина болит уже полгода.",
    "Спасибо всем за поддержку!",
    "Дякую, мені вже трохи краще.",
    "我去年做了腰椎融合手术，现在恢复得还不错。",
    "类风湿关节炎真的很痛苦，每天早上都很僵硬。",
    "首の手術（C5/6）を受けました。まだしびれがあります。",
    "허리 디스크 수술 받은 지 한 달 됐어요.",
    "أعاني من آلام أسفل الظهر منذ سنتين.",
    "תודה רבה על התמיכה",
    "Bel fıtığı ameliyatı oldum, hâlâ ağrım var.",
    "Tôi bị thoát vị đĩa đệm L4-L5, rất đau.",
    "मेरी पीठ में बहुत दर्द है।",
    "Ευχαριστώ πολύ για τη βοήθεια.",
    "Jeg har haft ondt i ryggen i fem år.",
    "Heb iemand ervaring met een hernia-operatie?",
)

# ---------------------------------------------------------------------------------------
# Links: every form the engine is meant to catch. Each maker returns (text, kind).
# ---------------------------------------------------------------------------------------

_WORDS_A = ("pain", "spine", "back", "joint", "relief", "health", "cbd", "brace", "posture", "flex", "bone", "nerve")
_WORDS_B = ("shop", "deals", "hub", "store", "clinic", "direct", "world", "center", "labs", "online", "plus", "today")
# Top-level suffixes for made-up sites. None of them is also an everyday word, so a bare
# "name.suffix" with no path is still a link (the engine asks for more evidence otherwise).
_TLDS = ("com", "net", "org", "info", "co.uk", "com.au", "de", "ca", "store", "online", "xyz", "io", "biz", "shop")
_PATH_WORDS = ("back-pain", "sciatica", "exercises", "spinal-fusion", "rheumatoid-arthritis", "products", "article")

_INTERNAL = _items(
    "spine-health.com/forum/discussion/{id}/recovery-after-l4-5-fusion | "
    "www.spine-health.com/conditions/sciatica/what-you-need-know-about-sciatica | "
    "spine-health.com/forum/categories/back-pain-after-surgery | "
    "www.arthritis-health.com/types/rheumatoid-arthritis | "
    "arthritis-health.com/treatment/injections/{id} | www.veritashealth.com | spine-health.com"
)
_MEDICAL = _items(
    "www.webmd.com/back-pain/guide/spinal-stenosis | webmd.com | pubmed.ncbi.nlm.nih.gov/{id}/ | "
    "www.mayoclinic.org/diseases-conditions/sciatica/symptoms-causes/syc-20377435 | mayoclinic.org | "
    "www.healthline.com/health/ankylosing-spondylitis | www.ncbi.nlm.nih.gov/pmc/articles/PMC{id}/ | "
    "medlineplus.gov/druginfo/meds/a{id}.html | www.nhs.uk/conditions/sciatica/ | "
    "my.clevelandclinic.org/health/treatments/17538-spinal-fusion | "
    "arthritis.org/diseases/rheumatoid-arthritis | www.drugs.com/gabapentin.html | "
    "www.verywellhealth.com/what-is-a-laminectomy-{id}"
)
_POPULAR = _items(
    "www.youtube.com/watch?v=dQw4w9WgXcQ | youtu.be/3fumBcKC6RE | "
    "www.facebook.com/groups/backpainsupport/ | www.reddit.com/r/backpain/comments/{id}/ | "
    "www.amazon.com/dp/B07XJ8C8F5 | amazon.co.uk/dp/B08KH53NKR?tag=spine-21 | "
    "en.wikipedia.org/wiki/Spinal_fusion | www.gofundme.com/f/help-linda-walk-again | "
    "docs.google.com/document/d/1xYzAbC{id}/edit | www.instagram.com/p/Cq{id}/"
)
_SHORTENERS = _items(
    "bit.ly/3xYz{id} | tinyurl.com/backpainhelp{id} | t.co/AbCdEf{id} | goo.gl/maps/xK{id} | "
    "rb.gy/x1y2z3 | cutt.ly/spine{id} | is.gd/Qw{id}"
)
_INVITES = _items(
    "discord.gg/spinechat | https://discord.gg/AbC{id} | https://discord.com/invite/backpainsupport | "
    "discordapp.com/invite/painpals{id} | discord.me/spinesupport"
)
_ANCHORS = ("this", "here", "click here", "the article", "exercise sheet", "WebMD", "spine-health.com", "source")


def _made_up_host(rng: random.Random) -> str:
    name = rng.choice(_WORDS_A) + rng.choice(("", "-", "")) + rng.choice(_WORDS_B)
    if rng.random() < 0.3:
        name += str(rng.randint(1, 99))
    return f"{name}.{rng.choice(_TLDS)}"


def _path(rng: random.Random) -> str:
    form = rng.randrange(4)
    if form == 0:
        return "/" + rng.choice(_PATH_WORDS)
    if form == 1:
        return f"/{rng.choice(_PATH_WORDS)}?id={rng.randint(100, 99999)}"
    if form == 2:
        return f"/page?x={rng.randint(1, 9)}"
    return f"/{rng.choice(_PATH_WORDS)}/{rng.randint(1000, 9999)}.html"


def _fill_id(template: str, rng: random.Random) -> str:
    return template.replace("{id}", str(rng.randint(10000, 39999999)))


def _any_url_body(rng: random.Random) -> str:
    """Host and path of a link people might actually share, without a scheme."""
    pool = rng.choice((_INTERNAL, _MEDICAL, _POPULAR, _POPULAR, _SHORTENERS))
    if rng.random() < 0.35:
        return _made_up_host(rng) + _path(rng)
    return _fill_id(rng.choice(pool), rng)


def _https(rng: random.Random) -> tuple[str, str]:
    return "https://" + _any_url_body(rng), "https"


def _http_upper(rng: random.Random) -> tuple[str, str]:
    return ("HTTP://WWW." + _made_up_host(rng) + _path(rng)).upper(), "http-upper"


def _ftp(rng: random.Random) -> tuple[str, str]:
    return f"ftp://ftp.{_made_up_host(rng)}/pub/{rng.choice(_PATH_WORDS)}.pdf", "ftp"


def _www(rng: random.Random) -> tuple[str, str]:
    return "www." + _made_up_host(rng) + rng.choice(("", "", _path(rng))), "www"


def _bare(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.5:
        return _made_up_host(rng) + rng.choice(("", _path(rng))), "bare"
    return _fill_id(rng.choice(_POPULAR), rng).removeprefix("www."), "bare"


def _markdown(rng: random.Random) -> tuple[str, str]:
    return f"[{rng.choice(_ANCHORS)}](https://{_any_url_body(rng)})", "markdown"


def _angle(rng: random.Random) -> tuple[str, str]:
    return f"<https://{_any_url_body(rng)}>", "angle"


def _hxxp(rng: random.Random) -> tuple[str, str]:
    scheme = rng.choice(("hxxps://", "hxxp://", "hXXps://", "h**ps://"))
    return scheme + _made_up_host(rng) + _path(rng), "hxxp"


def _bracket_dot(rng: random.Random) -> tuple[str, str]:
    name, _, suffix = _made_up_host(rng).partition(".")
    dot = rng.choice(("[.]", "(.)", "{.}", "[dot]", " [dot] ", " (dot) "))
    return name + dot + suffix.replace(".", dot), "bracket-dot"


def _spelled_dot(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(_WORDS_A) + rng.choice(_WORDS_B)
    tld = rng.choice(("com", "net", "org", "info", "co dot uk"))
    dot = rng.choice((" dot ", " DOT ", " Dot "))
    return f"{name}{dot}{tld.replace(' dot ', dot)}", "spelled-dot"


def _full_width(rng: random.Random) -> tuple[str, str]:
    host = _made_up_host(rng)
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in host)
    if rng.random() < 0.3:
        wide = wide.replace("．", "。")
    return wide, "full-width"


def _zero_width(rng: random.Random) -> tuple[str, str]:
    host = _made_up_host(rng)
    name, _, rest = host.partition(".")
    cut = rng.randint(1, len(name) - 1)
    invisible = rng.choice(("\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff"))
    return f"{name[:cut]}{invisible}{name[cut:]}.{rest}{rng.choice(('', _path(rng)))}", "zero-width"


def _percent_host(rng: random.Random) -> tuple[str, str]:
    host = rng.choice(("webmd.com", "www.mayoclinic.org", "bit.ly", _made_up_host(rng)))
    encoded = "".join(f"%{ord(c):02X}" if c.isalpha() and rng.random() < 0.5 else c for c in host)
    return f"https://{encoded}{_path(rng)}", "percent-host"


def _idn(rng: random.Random) -> tuple[str, str]:
    host = rng.choice(
        (
            "пример.рф",
            "здоровье-спины.рф",
            "münchen-orthopädie.de",
            "rückenschmerzen-hilfe.de",
            "spine-hеalth.com",  # a Cyrillic "е": a homograph of the forum's own site
            "腰痛.jp",
            "ортопедия.com",
        )
    )
    return rng.choice(("", "https://")) + host + rng.choice(("", "/статья", _path(rng))), "idn"


def _punycode(rng: random.Random) -> tuple[str, str]:
    host = rng.choice(("xn--e1afmkfd.xn--p1ai", "xn--80ak6aa92e.com", "xn--spine-halth-ukj.com", "xn--mnchen-3ya.de"))
    return rng.choice(("", "https://")) + host + rng.choice(("", _path(rng))), "punycode"


def _userinfo(rng: random.Random) -> tuple[str, str]:
    front = rng.choice(("spine-health.com", "www.spine-health.com", "webmd.com", "login:password", "admin"))
    return f"https://{front}@{_made_up_host(rng)}{_path(rng)}", "userinfo"


def _internal(rng: random.Random) -> tuple[str, str]:
    return rng.choice(("", "", "https://")) + _fill_id(rng.choice(_INTERNAL), rng), "internal"


def _medical(rng: random.Random) -> tuple[str, str]:
    body = _fill_id(rng.choice(_MEDICAL), rng)
    if not body.startswith("www.") and "/" not in body:
        return body, "medical"
    return rng.choice(("", "https://", "https://")) + body, "medical"


def _shortener(rng: random.Random) -> tuple[str, str]:
    return rng.choice(("", "https://")) + _fill_id(rng.choice(_SHORTENERS), rng), "shortener"


def _invite(rng: random.Random) -> tuple[str, str]:
    return _fill_id(rng.choice(_INVITES), rng), "invite"


def _jump(rng: random.Random) -> tuple[str, str]:
    return f"https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{rng.randint(10**18, 2 * 10**18)}", "jump"


def _ip(rng: random.Random) -> tuple[str, str]:
    host = f"{rng.choice(('198.51.100', '203.0.113', '192.0.2'))}.{rng.randint(1, 254)}"
    return rng.choice(("http://", "")) + host + rng.choice(("/login", "/promo", ":8080/offer")), "ip"


_FIRST = ("jane", "mike", "linda", "bob", "sarah", "tom", "mary", "karen", "dave", "sue", "chris", "pat", "ann")
_LAST = ("doe", "smith", "r", "k", "jones", "miller", "b", "nguyen", "obrien", "taylor")
_PROVIDERS = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com", "yahoo.co.uk")


def _email(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    local = rng.choice(
        (
            f"{first}.{last}",
            f"{first}_{last}{rng.randint(1, 99)}",
            f"{first}{last}",
            f"{first}{1950 + rng.randrange(60)}",
        )
    )
    provider = rng.choice(_PROVIDERS)
    form = rng.randrange(6)
    if form <= 1:
        return f"{local}@{provider}", "email"
    if form == 2:
        return f"{local}@{_made_up_host(rng)}", "email"
    if form == 3:
        name, _, tld = provider.partition(".")
        return f"{local} at {name} dot {tld.replace('.', ' dot ')}", "email-spelled"
    if form == 4:
        name, _, tld = provider.partition(".")
        at, dot = rng.choice((("[at]", "[dot]"), ("(at)", "(dot)"), (" [at] ", " [dot] "), (" (at) ", " (dot) ")))
        return f"{local}{at}{name}{dot}{tld.replace('.', dot)}", "email-bracket"
    return f"{first} at {provider}", "email-at-provider"


# (maker, weight): the mix of forms among inserted links.
_LINK_MAKERS: tuple[tuple[Callable[[random.Random], tuple[str, str]], int], ...] = (
    (_https, 16),
    (_http_upper, 2),
    (_ftp, 1),
    (_www, 6),
    (_bare, 8),
    (_markdown, 4),
    (_angle, 3),
    (_hxxp, 2),
    (_bracket_dot, 3),
    (_spelled_dot, 2),
    (_full_width, 2),
    (_zero_width, 2),
    (_percent_host, 1),
    (_idn, 2),
    (_punycode, 1),
    (_userinfo, 2),
    (_internal, 8),
    (_medical, 8),
    (_shortener, 4),
    (_invite, 4),
    (_jump, 1),
    (_ip, 1),
    (_email, 7),
)
# Every kind a CorpusMessage's link_kinds may hold, in the order of _LINK_MAKERS.
LINK_KINDS = _items(
    "https | http-upper | ftp | www | bare | markdown | angle | hxxp | bracket-dot | spelled-dot | full-width | "
    "zero-width | percent-host | idn | punycode | userinfo | internal | medical | shortener | invite | jump | ip | "
    "email | email-spelled | email-bracket | email-at-provider"
)

# Sentences that carry a link; {link} is the link, the rest is ordinary chat.
_LINK_SENTENCES = (
    "Here's the article I mentioned: {link}",
    "{link}",
    "{link}",
    "Check out {link} for exercises.",
    "I found this on {link} and it explained a lot.",
    "This helped me understand my MRI: {link}",
    "My surgeon's page is {link} if anyone wants to look.",
    "link: {link}",
    "Try {link} - it helped me with the {symptom}.",
    "Has anyone read this? {link}",
    "There's a good thread about {surgery} here {link}.",
    "({link})",
    "Source: {link}",
    "I ordered mine from {link}, cheaper than the pharmacy.",
    "Join us at {link} 😊",
    "DM me or email me at {link}",
    "You can reach me at {link} if you want to talk.",
    "Found a study on {condition}: {link} (interesting read).",
    "Saw this on {link} today.",
    "{link} <- this one",
    "Video of the exercises {link}",
)

# ---------------------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------------------

_SLOT = re.compile(r"\{(\w+)\}")
_SENTENCE_COUNTS = ((1, 40), (2, 20), (3, 12), (4, 8), (5, 6), (6, 4), (8, 4), (10, 3), (14, 2), (20, 1))
_REPLY_SHARE = 0.3
_JUNCTIONS = ((" ", 86), ("  ", 3), ("\n", 5), ("", 4), ("\n\n", 2))


def _fill(template: str, rng: random.Random) -> str:
    return _SLOT.sub(lambda m: _SLOTS[m.group(1)](rng), template)


_T = TypeVar("_T")


def _weighted(rng: random.Random, table: Sequence[tuple[_T, int]]) -> _T:
    total = sum(weight for _, weight in table)
    point = rng.randrange(total)
    for value, weight in table:
        point -= weight
        if point < 0:
            return value
    raise AssertionError("unreachable")


def _sentence(rng: random.Random, lowercase: bool, curly: bool, short_share: float = 0.05) -> str:
    roll = rng.random()
    if roll < 0.04:
        text = rng.choice(_FOREIGN)
    elif roll < 0.04 + short_share:
        text = rng.choice(_REPLIES)
    elif roll < 0.10:
        text = f"{_fill('{opener}', rng)}{rng.choice(('!', ',', '...', ' -', '.'))}"
    else:
        text = _fill(rng.choice(_SENTENCES), rng)
    if rng.random() < 0.08:
        # Trailing off: "..." or the single-character ellipsis.
        text = text.rstrip(".!?") + rng.choice(("...", "…", "....", ".."))
    if lowercase:
        text = text.lower()
    if curly:
        text = text.replace("'", "’")
        if '"' in text:
            parts = text.split('"')
            text = "".join(p + ("“" if i % 2 == 0 else "”") for i, p in enumerate(parts[:-1])) + parts[-1]
    roll = rng.random()
    if roll < 0.12:
        text += " " + rng.choice(_EMOJI) * rng.choice((1, 1, 1, 2, 3))
    elif roll < 0.18:
        text += " " + rng.choice(_EMOTICONS)
    elif roll < 0.19:
        text += " " + rng.choice(_CUSTOM_EMOJI)
    return text


def _join(rng: random.Random, pieces: list[tuple[str, bool]], head: str, tail: str) -> str:
    """Sentences joined as people type them, cut to Discord's limit without losing a link.

    ``pieces`` are (sentence, carries_link); when the message is too long, clean sentences
    are dropped from the end, never one the generator put a link in.
    """
    junctions = [_weighted(rng, _JUNCTIONS) for _ in pieces[1:]]
    while True:
        out = pieces[0][0]
        for junction, (sentence, _) in zip(junctions, pieces[1:], strict=True):
            # A missing space only reads as one after a full stop ("surgery.It was").
            missing_space_ok = junction or out.endswith(".")
            out += (junction if missing_space_ok else " ") + sentence
        out = head + out + tail
        clean = [i for i, (_, has_link) in enumerate(pieces) if not has_link]
        if len(out) <= MAX_LENGTH or len(pieces) == 1 or not clean:
            return out
        drop = clean[-1]
        del pieces[drop]
        del junctions[max(drop - 1, 0)]


def _link_sentence(rng: random.Random) -> tuple[str, str]:
    link, kind = _weighted(rng, _LINK_MAKERS)(rng)
    template = rng.choice(_LINK_SENTENCES)
    if kind.startswith("email") and "email" not in template and "reach" not in template:
        template = rng.choice(
            ("DM me or email me at {link}", "You can reach me at {link} if you want to talk.", "{link}")
        )
    return _SLOT.sub(lambda m: link if m.group(1) == "link" else _SLOTS[m.group(1)](rng), template), kind


def _timestamp(rng: random.Random) -> str:
    """An ISO 8601 time as Discord sends it (microseconds, UTC offset)."""
    day = f"20{rng.randint(18, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    time = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randrange(10**6):06d}"
    return f"{day}T{time}+00:00"


def author_pool(seed: int = 1, size: int = AUTHOR_POOL_SIZE) -> list[CorpusAuthor]:
    """The authors of a corpus: a few moderators, many regulars, some new members."""
    rng = random.Random(f"authors:{seed}")
    handles = ("spine", "back", "ra", "knee", "hip", "fusion", "neck", "sciatica", "disc", "warrior", "spoonie")
    names = _items("Linda | Mike | Sarah | Tom | Karen | Dave | Sue | Chris | Pat | Ann | Jo | Marta | Yuki | Olu")
    authors = []
    for index in range(size):
        user_id = 200_000_000_000_000_000 + rng.randrange(10**18)
        username = f"{rng.choice(handles)}{rng.choice(('_', '', '.'))}{rng.choice(names).lower()}{rng.randint(1, 9999)}"
        # Authors are listed busiest first (see generate); a handful of them are moderators.
        is_moderator = index % 50 == 7
        roll = rng.random()
        if index < 30:
            approved = rng.randint(50, 2500)
        else:
            approved = 0 if roll < 0.15 else rng.randint(1, 3) if roll < 0.3 else rng.randint(4, 500)
        authors.append(
            CorpusAuthor(
                user_id=user_id,
                username=username,
                global_name=rng.choice(
                    (None, f"{rng.choice(names)} {rng.choice('ABCDEFGHKLMPRSTW')}.", rng.choice(names))
                ),
                avatar=None
                if rng.random() < 0.2
                else ("a_" if rng.random() < 0.05 else "") + f"{rng.getrandbits(128):032x}",
                joined_at=_timestamp(rng),
                is_moderator=is_moderator,
                trusted=is_moderator or rng.random() < 0.1,
                approved_posts=approved,
            )
        )
    return authors


def generate(
    n: int, seed: int = 1, link_share: float = 0.05, authors: Sequence[CorpusAuthor] | None = None
) -> list[CorpusMessage]:
    """``n`` messages of patient chat; ``round(n * link_share)`` of them carry links or emails."""
    if n < 0 or not 0.0 <= link_share <= 1.0:
        raise ValueError("n must be 0 or more and link_share between 0 and 1")
    rng = random.Random(seed)
    pool = list(authors) if authors is not None else author_pool(seed)
    # A few members write most of the posts (roughly Zipf, busiest first), as on any forum.
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(pool))]
    with_links = set(rng.sample(range(n), round(n * link_share)))
    messages = []
    for index in range(n):
        author = rng.choices(pool, weights)[0]
        lowercase = rng.random() < 0.2
        curly = rng.random() < 0.3
        count = _weighted(rng, _SENTENCE_COUNTS)
        # A reply is a short phrase or two; a post is sentences of patient talk.
        short_share = 0.9 if rng.random() < _REPLY_SHARE else 0.05
        if short_share > 0.5:
            count = min(count, 2)
        pieces = [(_sentence(rng, lowercase, curly, short_share), False) for _ in range(count)]
        kinds: list[str] = []
        if index in with_links:
            for _ in range(2 if rng.random() < 0.15 else 1):
                sentence, kind = _link_sentence(rng)
                if len(pieces) == 1 and not kinds and rng.random() < 0.3:
                    pieces = [(sentence, True)]  # just the link, on its own
                else:
                    pieces.insert(rng.randint(0, len(pieces)), (sentence, True))
                kinds.append(kind)
        head = tail = ""
        mention_ids: list[int] = []
        roll = rng.random()
        if roll < 0.08:
            # A reply that pings the person it answers.
            other = rng.choice(pool)
            mention_ids.append(other.user_id)
            head = f"<@{other.user_id}> "
        elif roll < 0.10:
            tail = f" (see <#{CHANNEL_ID}> for the FAQ)"
        text = _join(rng, pieces, head, tail)
        messages.append(CorpusMessage(text, bool(kinds), author.user_id, tuple(mention_ids), tuple(kinds)))
    return messages
