"""The intent patterns (how English asks, promises, proposes and questions) and the readings of priority,
duration and the first due date of a sentence."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from tasks_app.dates import ResolvedDate, find_deadline_phrases, resolve_due
from tasks_app.extractors import EmailForExtraction, Priority

from .languages import other_language_intent

FLAGS = re.IGNORECASE
YOU = r"(?:you and (?-i:[A-Z])[\w'-]+|you|u|ya|y'all|you guys|you all|someone|somebody|anyone|one of you)"
ASK_MODAL = rf"(?:could|can|would|will|wd|cd|pls|please|would it be possible for|could i ask)\s+{YOU}\b"

# Marketing / bulk-mail language: imperatives here are not tasks for the reader.
_SPAM = re.compile(
    r"\bif you(?:'d| would)? (?:wish|like|want|prefer) (?:to )?(?:not|no longer|stop|discontinue|disable|turn|opt|"
    r"unsubscribe|change your (?:email|notification|profile))\b|"
    r"\bclick\b|unsubscribe|\bact now\b|\bbuy now\b|\border now\b|\bjoin now\b|\bshop now\b|\bsale\b|"
    r"% off|\blimited[- ]time\b|\bhurry\b|\bdon'?t miss\b|address book|safe[- ]?sender|white ?list|"
    r"\bview (?:it |this )?(?:online|in (?:your|a) browser)|privacy policy|\bterms of (?:use|service)\b|"
    r"\bdo not reply\b|\bdon'?t reply\b|\bthis (?:e-?mail|message) was sent\b|\bno longer (?:wish|want)\b|"
    r"\bto ensure (?:delivery|that you receive|you receive)\b|\bfollow us\b|\blike us on\b|"
    r"\bnotification settings\b|\bemail preferences\b|\bregister now\b|\bsign up (?:now|today)\b|\blearn more\b|"
    r"\bfree (?:consultation|trial|shipping|gift|demo|quote)\b|\bbook (?:now|today)\b",
    FLAGS,
)
# A request: the author asks the reader (or anyone) to do something.
_REQUEST = re.compile(
    rf"^(?:\w+,\s*)?(?:(?:hi|hey|hello|also|and|so|but|ok|okay|then|now|oh|btw|ps|p\.s\.)[,:]?\s+)*"
    rf"(?:please|pls|plz|kindly)\b"
    rf"|\b(?:please|pls|plz|kindly),?\s+(?!find\b|see\b|note\b|be advised\b|disregard\b|ignore\b)\w+"
    rf"|\b{ASK_MODAL}"
    rf"|\b(?:i|we)(?:\s+|(?='))(?:really\s+)?(?:need|want|would like|'d like|d like|would love|'d love|"
    rf"would appreciate it if|'d appreciate it if|would appreciate|'d appreciate)\s+(?:it\s+if\s+)?{YOU}\b"
    rf"|\b(?:i|we)\s+(?:need|want|require|would like|'d like|'d love|would love)\s+(?:to\s+(?:get|have|see|"
    rf"receive|know|hear|talk|speak|discuss|meet|schedule|set up|review|confirm)\b|a\s+(?:copy|list|"
    rf"report|draft|call|meeting|quote)\b|the\b|your\b|some\b|(?:a|the)\s+\w+\s+(?:by|from)\b)"
    rf"|(?<!\bto )\bmake sure\b|\bbe sure to\b|\bdon'?t forget\b|\bremember to\b|\blet (?:me|us) know\b"
    rf"|\bget back to (?:me|us)\b|\bkeep (?:me|us) (?:posted|informed|updated)\b|\bplease\b.*\?$"
    rf"|\b(?:is|was) (?:it|there any way|there a way) (?:possible|you could)\b"
    rf"|\bwould (?:it|that) be possible\b|\bif it (?:might|would|could) be possible\b|\bpossible for {YOU} to\b"
    rf"|\bhope {YOU} (?:can|could|will|'ll)\b|\b(?:my|our) (?:recommendation|suggestion|advice) (?:is|would be) to\b"
    rf"|\b(?:would be|is|are) (?:greatly |much |very much |really |most )?appreciated\b"
    rf"|\bany chance\b|\bdo you (?:mind|have time)\b"
    rf"|\bwould you (?:mind|be able|like|be willing|be interested)\b"
    rf"|\b(?:can|could|may) (?:we|i) (?:get|have|ask|see|borrow|set up|schedule|discuss|talk|meet|chat)\b"
    rf"|\b(?:i|we)(?:'d| would) (?:greatly |really |very much |also )?(?:appreciate|be grateful)\b"
    rf"|\bwhy don'?t (?:you|u|we)\b|\b(?:i|we) need (?:this|that|it|these|those) (?:done|finished|completed|signed|"
    rf"reviewed|sent|back)\b|\b(?:you|u) (?:need|must|should|have) to\b"
    rf"|\bcall me\b|\bgive (?:me|us) a (?:call|ring|shout)\b|\bsend (?:me|us)\b|\bemail me\b|\bping me\b"
    rf"|\bforward (?:me|us|this|it|that|the)\b|\bfeel free to\b"
    # Suggestions and soft asks: "Perhaps you should...", "I think it would be useful for Ken to join".
    rf"|\b(?:i|we)(?: would|'d)? (?:also |strongly )?(?:suggest|recommend|propose)\b"
    rf"|\b(?:you|we) (?:should|might want to|may want to|ought to)\b"
    rf"|\b(?:it|that|this) (?:would|might|could|may) be (?:\w+ )?(?:useful|helpful|good|great|best|nice|"
    rf"worthwhile|appropriate|ideal|wise)\b|^(?:would|it'?d) be (?:\w+ )?(?:useful|helpful|good|great|nice|ideal)\b"
    rf"|\blook(?:ing)? forward to (?:hearing|your|receiving|speaking|talking|seeing|meeting)\b",
    FLAGS,
)
# More ways to ask, kept apart from _REQUEST so neither alternation grows slow: someone else needs the
# reader to act ("HR needs you to sign…"); "would you be up for…"; a passive duty with a deadline ("April
# expenses have to be submitted by Friday"); a bill that falls due ("Invoice 2291 is due on 22 May").
PASSIVE_DUTY = re.compile(
    r"^(?:[\w'-]+:?\s+){0,3}?(?:that\s+)?(?P<thing>(?:the |your |all |any |our )?[\w'£$€.,-]+(?:\s+[\w'£$€.,-]+){0,5}?)\s+"
    r"(?:has|have|needs?|must|is|are)\s+(?:to\s+)?(?:still\s+)?be\s+(?P<done>[a-z]+(?:ed|en)|paid|sent|done|"
    r"sold|bought|made|read|set)\b(?P<rest>(?:\s+[^\s.;!?]+){0,6}?)\s+(?=(?:by|before|no later than|until)\b)",
    FLAGS,
)
BILL_DUE = re.compile(
    r"(?P<bill>\b(?:your |the |this |our )?(?:[\w-]+ ){0,2}(?:invoice|bill|payment|rent|fee|premium|balance|"
    r"renewal|subscription|instal?lment|tax return)(?: [A-Z0-9#-]*\d[A-Z0-9-]*)?)\b"
    r"[^.?!]{0,40}?\b(?:is|are|falls?|will be|becomes?) (?:now |still )?due\b",
    FLAGS,
)
_MORE_REQUEST = re.compile(
    rf"\b(?:needs?|wants?|would like|has asked|asked(?: for)?)\s+{YOU}\s+to\b"
    rf"|\b(?:would|are|were|will) {YOU} be up for\b|\b{YOU}'?d be up for\b"
    # "Need your sign-off on the plan by Thursday": the subject left out, as mail does.
    rf"|^(?:[\w'-]+[,:]\s+)?(?:really\s+)?need (?:your|a|an|the)\s+\w"
    # A duty put on whoever holds a role, as notices do: "The unit manager must sign the report within 48
    # hours", "Parents must return the form by Friday".
    rf"|^(?:the\s+|all\s+|each\s+|every\s+)?(?:[\w-]+\s+){{0,2}}(?:managers?|owners?|holders?|applicants?|tenants?|"
    rf"employees?|parents?|guardians?|customers?|recipients?|members?|participants?|attendees?|staff|"
    # any other role said in the plural: "Floor wardens must…", "Residents must…", "Contractors must…"
    rf"[a-z]+(?:ers|ors|ants|ents|ists|ees|ens|ians|ives))\s+"
    rf"(?:must|need to|needs to|have to|has to|are required to|is required to|should)\s+(?!not\b|be\b)\w+"
    # A thing wanted by a deadline: "I'd like a one-page proposal on X by Friday".
    rf"|\b(?:i|we)\s*(?:'d|would) (?:like|love)\s+(?:a|an|the|your)\s+(?:[\w'-]+\s+){{0,8}}?"
    rf"(?:by|before|no later than)\s+(?:the\s+)?(?:end|eod|cob|mon|tue|wed|thu|fri|sat|sun|tomorrow|tonight|next|"
    rf"this|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|\d)",
    FLAGS,
)
# A bare imperative at the start of a sentence ("Send me the file.", "Review the draft by Friday.").
_IMPERATIVE_VERBS = (
    "send|forward|call|email|e-mail|review|check|confirm|sign|schedule|book|reply|respond|update|fill|"
    "complete|submit|prepare|draft|finish|fix|look|read|approve|share|print|bring|pick|contact|ask|tell|"
    "remind|add|remove|set|arrange|organize|organise|get|give|let|make|pay|file|fax|mail|ship|return|"
    "resend|re-send|follow|talk|discuss|meet|join|attend|register|cancel|move|reschedule|note|find|handle|"
    "coordinate|clarify|provide|run|test|verify|double-check|advise|inform|notify|plan|write|go|use|try|"
    "consider|keep|take|have a look|see|grab|enjoy|purchase|download|visit|start|stop|feel free|put|leave|"
    "choose|pass|drop|come|stay|hold|reserve|collect|post|order|renew|upload|gather|circulate|install|buy|"
    "invite|introduce|draft|compile|sort|clean|chase|nominate|request|record|scan|collate|proofread|translate"
)
# A short adverbial put before the imperative ("Before that, send me…", "In the meantime, book…", "Once
# you're back, call…"): the sentence still asks.
_FRONTED = (
    r"(?:(?:before|after|once|when|whenever|in the meantime|meantime|meanwhile|until|by|for|on|at|if|first|while|"
    r"as soon as|in the meanwhile|in any case|either way|otherwise|also|separately)\b[^,.;:!?]{0,40},\s*)"
)
IMPERATIVE = re.compile(
    rf"^(?:\w+,\s*)?{_FRONTED}?(?:(?:also|and|so|then|now|just|ok|okay)[,:]?\s+)?(?:{_IMPERATIVE_VERBS})\b(?!\s*:)"
    # "Drop-off 8:14 PM", "Follow-up: …": a noun made of a verb and a particle; "Order #1124", "Request ID",
    # "Post date": a verb word used as a noun in a receipt or a form.
    rf"(?!-\w)(?!\s*(?:#|\d)|\s+(?:number|no\.|confirmation|summary|details|status|total|date|id|ref|reference|"
    rf"history|form|type|received|placed|shipped|updated)\b)"
    rf"(?!\s+(?:us|our|more)\b)"
    # "Let me call him", "let me sum this up": the author's own next step ("let me know" asks, elsewhere).
    rf"(?!(?<=let)\s+me\b(?!\s+know\b))",
    FLAGS,
)
# The author promises something. It is the reader's task only when the reader wrote the email: a sender's
# "I'll send you the numbers" is work the sender does (see ``OfflineExtractor``).
_COMMITMENT = re.compile(
    r"\b(?:i|we)(?:'ll|'ll| will| shall| am going to|'m going to| are going to|'re going to| can| could|"
    r" plan to| intend to| need to| have to| must| should| 'll)\s+(?:try to\s+|also\s+|then\s+|"
    r"definitely\s+|probably\s+|be\s+(?:sure|happy|glad)\s+to\s+|get\s+back\b)?"
    r"(?!be\s+(?:out|away|on vacation|off|in)\b|not\b|never\b|see\b|let\b|have\s+a\b)\w+"
    r"|\bi(?:'m| am) (?:going to|planning to)\b"
    r"|\b(?:will|i'll) (?:get|have|send) (?:it|this|that|them) (?:to you|over|back)\b"
    r"|\b(?:i|we) (?:would like|'d like|want|wanted|need) to (?:\w+\s+){0,2}(?:discuss|talk|meet|"
    r"follow[- ]up|set up|schedule|get|confirm|review|defer|change|add|request|invite|know)\b",
    FLAGS,
)
# A meeting, call or get-together being proposed.
_MEETING = re.compile(
    r"\blet'?s\s+(?:\w+\s+)?(?:meet|talk|chat|discuss|sync|catch up|get together|have|grab|do|set up|"
    r"schedule|plan|go|hop on|jump on|connect)\b"
    r"|\b(?:schedule|set up|arrange|book|have|hold|do|organize|organise|plan)\s+(?:a|an|the|our|some|"
    r"another)\s+(?:(?:quick\s+|short\s+|brief\s+|\w+[- ]minute\s+|\d+[- ]?min(?:ute)?s?\s+|follow[- ]up\s+|"
    r"phone\s+|conference\s+|video\s+|zoom\s+|team\s+|introductory\s+|\w+\s+)){0,2}(?:call|meeting|chat|sync|"
    r"catch[- ]up|conversation|discussion|session|conference call|lunch|dinner|coffee|review|interview|demo)\b"
    r"|\b(?:meet|meeting|call|talk|chat|sync|lunch|dinner|coffee)\b.{0,40}\?$"
    r"|\b(?:are|r) (?:you|u) (?:free|available|around|busy|in the office)\b"
    r"|\b(?:does|would|will|is)\s+(?:\w+\s+){0,4}(?:work|suit|good|convenient|ok|okay)\s+for\s+(?:you|u)\b"
    r"|\bwhat time works\b|\bwhen (?:are|would|will) you (?:be )?(?:free|available|around)\b"
    r"|\b(?:can|could) (?:we|you|i) (?:meet|talk|chat|call|speak|get together|hop on|jump on)\b"
    r"|\b(?:join|invite) (?:us|me|you)\b.{0,60}\b(?:call|meeting|lunch|dinner|session)\b"
    r"|\binvit(?:e|ation|ed)\b.{0,40}\b(?:meeting|call|lunch|dinner|event|party|drinks|reception|celebration|"
    r"farewell|gathering|bbq|barbecue)\b"
    r"|\b(?:meet|call|talk|speak) (?:with )?(?:you|u)\b"
    r"|\blet'?s block\b|\bblock (?:\w+ )?(?:minutes|an hour|\d+ hours?|time)\b"
    r"|\b(?:quick|short|brief) (?:meeting|call|chat|catch[- ]up|sync)\b|\b(?:attend|join) (?:the|this|our|a|us)\b",
    FLAGS,
)
# Kept apart from _MEETING, which slows down a lot as one alternation grows.
_DONE_TOGETHER = re.compile(
    # Something the author and the reader do together ("we can discuss on Tuesday", "maybe we could have
    # lunch"): a promise that needs the reader there is a meeting, not the author's own work.
    r"\b(?:we|i)\s*(?:'ll|will|can|could|shall|should|must|need to|have to|might|may|(?:would|'d) like to|"
    r"(?:want|wanted|need) to|(?:would|'d) (?:be happy|be glad|love) to)\s+(?:\w+\s+){0,2}?"
    r"(?:meet|get together|have (?:lunch|dinner|breakfast|coffee|a (?:call|drink|beer|chat|coffee|discussion|"
    r"meeting|conversation|talk))|discuss|talk|chat|catch up|go (?:to|for) (?:lunch|dinner|breakfast|coffee|"
    r"a drink)|join you|speak)\b"
    r"|\bget(?:ting)? (?:\w+ )?together\b|\b(?:want|like|love) to (?:join|come)\b|\bwelcome to join\b"
    r"|\bhave you (?:\w+ )?join\b|\bsit down with (?:you|u)\b|\b(?:talk|speak) to (?:you|u)\b(?!\s+(?:soon|later)\b)"
    r"|\b(?:want|like) to meet\b|\bavailable for (?:lunch|dinner|breakfast|coffee|drinks|a (?:call|meeting|chat))\b"
    r"|\b(?:discuss|talk|meet|speak|chat)\b[^.?!]{0,30}\bwith (?:you|u)\b"
    # "Can we do 45 minutes on Thursday?": time together, measured.
    r"|\b(?:(?:can|could|shall|should) we|let'?s|we (?:can|could))\s+(?:do|have|grab|block|take|find|book)\s+"
    r"(?:a |an )?(?:quick |short )?(?:\d+|half an?|an?|one|two|ten|fifteen|twenty|thirty|forty[- ]five|sixty|ninety)"
    r"[- ]?(?:minutes?|mins?|hours?|hrs?)\b"
    # Moving or holding a meeting the two already have ("can we do our 1:1 Friday instead?", "could we push
    # the standup to 10?", "let's move our check-in to Monday").
    r"|\b(?:(?:can|could|shall|should) we|let'?s|we (?:could|can|should))\s+(?:do|have|hold|move|push|shift|"
    r"reschedule|bump|swap|grab|keep)\s+(?:our|the|this|that|a|tomorrow'?s|today'?s|next week'?s)\s+"
    r"(?:[\w'-]+\s+){0,2}?(?:1:1|1-on-1|one-on-one|1on1|check-?in|stand-?up|retro|sync|call|meeting|catch[- ]up|"
    r"review|session|chat|lunch|coffee|dinner|walk-?through|planning|kick-?off)\b"
    # Proposing a drink or a meal the casual way ("Fancy drinks Thursday?", "up for lunch tomorrow?").
    r"|^(?:[\w']+[,:]\s*)?(?:fancy|up for|keen (?:on|for)|(?:do you )?want to (?:grab|get)|wanna (?:grab|get)|"
    r"how about|what about)\s+(?:a |an |some )?(?:quick |few )?(?:drinks?|dinner|lunch|breakfast|brunch|coffee|"
    r"pints?|beers?|a walk|catch[- ]up|call|chat)\b"
    # Agreeing to a proposed day ("Saturday, March 25 works for me") confirms a meeting.
    r"|^(?:\w+\s+){0,2}(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight)\b"
    r"[^.?!]{0,30}\b(?:works|is good|is fine|suits|sounds good)\b",
    FLAGS,
)
# A direct question to the reader: in mail, most questions expect an answer, which is itself a task.
_QUESTION = re.compile(
    # "Quick one: do you…", "Sam, are you…": a short lead before the question.
    r"^(?:\w+,\s*|(?:[\w']+\s+){0,2}[\w']+:\s+|(?:[\w']+\s+){1,5}[\w']+\s*[-–—]\s+)?"
    r"(?:(?:also|and|so|but|ok|okay|btw|oh|hey|hi)[,:]?\s+)*"
    r"(?:do|did|does|are|is|was|were|have|has|had|can|could|will|would|should|shall|may|might|when|where|"
    r"what|who|whom|which|why|how|any|anything|any\s?one)\b[^?]*\?"
    # Spoken style without the auxiliary: "You coming tomorrow?", "You available at 9:30?"
    r"|^(?:\w+[,:]\s*)?(?:you|u)\b[^?]*\?\s*$",
    FLAGS,
)
_OFFER_OF_HELP = (
    r"\b(?:let (?:me|us) know|tell (?:me|us)|reach out|get in touch|shout|ping (?:me|us)|ask)\s+if\s+(?:"
    r"(?:you\s+)?(?:have|need|want|would like|'d like|require|run into|hit|see|notice|find|get|come across)\s+"
    r"(?:any(?:thing)?|more|further|additional|other|help|something|a hand|clarification|assistance|me to|us to|"
    r"questions?|concerns?|problems?|issues?|trouble|errors?)\b"
    r"|(?:there(?:'s| is| are)|i can|we can)\s+(?:anything|any|do|help|assist|be of)\b"
    r"|(?:i|we) can (?:help|assist|do anything|be of)\b|(?:this|that|it) helps\b"
    r"|(?:anything|something) (?:else )?(?:comes up|changes|is unclear|is missing|looks off)\b)"
    r"|\bif (?:you )?(?:need|want|have) anything(?: else)?\b|\bhappy to (?:help|answer|chat|discuss) if\b"
)
# Sentences that only describe or inform even if they contain a trigger word.
_NOT_A_TASK = re.compile(
    r"^(?:thanks|thank you|thx|cheers|regards|best|hope|hi|hello|dear|congrat|fyi|welcome)\b"
    r"|\bif you (?:have|need|want|would like) (?:any|further|more|additional)\b"
    r"|\bif you have (?:any )?questions\b|\bdon'?t hesitate\b|\bhappy to help\b|\bfeel free to contact\b"
    # Courtesy offers: "let me know if you need anything", "let us know if we can help". They offer help and
    # ask for nothing ("let me know if Friday works" does ask, and is not matched).
    rf"|{_OFFER_OF_HELP}"
    # Small talk: questions that want no action.
    r"|\bhow (?:was|were|is|are|'s) (?:your|the|things|it going|everything)\b|\bcan you believe\b"
    r"|^(?:see|talk to|speak to) (?:you|ya)\b"
    # A good wish shaped like an imperative ("Enjoy!", "Enjoy the long weekend") unless an ask follows.
    r"|^enjoy\b(?!.*\b(?:please|could you|can you|would you)\b)",
    FLAGS,
)

# Sentences that may carry an intent but give the reader no task (the extractor drops them; the intent stays,
# as labelled email data counts "If not, please forward it" and "Please keep this email" as asks):
# The other way if the ask before it does not work out ("If not, please suggest another afternoon"): part
# of that ask, not a task of its own (the extractor reads it so only after a task).
FALLBACK = re.compile(
    r"^(?:if not|otherwise|failing that|if (?:that|this|it|the \w+|\w+day) (?:doesn'?t|does not|won'?t|will not|"
    r"can'?t|cannot) (?:work|suit)|if (?:you(?:'re| are)|you can'?t|you cannot) (?:not )?(?:free|available|make it))\b",
    FLAGS,
)
NO_ASK = re.compile(
    # what to do if the account holder did not act ("If this wasn't you, reset your password");
    r"^(?:if (?:this|that|it) (?:wasn'?t|was not) (?:you|yours)|if you (?:did not|didn'?t) (?:request|make|"
    r"recogni[sz]e|authori[sz]e|sign up|place|order)|if you(?:'ve| have) already (?:paid|done|renewed|replied|"
    r"registered|updated|signed))\b"
    # boilerplate of receipts and notifications ("Keep this email for your records");
    r"|\b(?:keep|save|print|retain) this (?:e-?mail|receipt|message|confirmation|notice)(?: for your records)?\b"
    r"|\bfor your records\b|\byou can (?:safely )?ignore this\b"
    # a state reached, not an ask ("you should now have access", "you should have received the invite");
    r"|\b(?:you|u) should (?:now |already |by now )?(?:have (?:access|received|got|gotten|seen)|be (?:able to|all "
    r"set|good to go|set up)|see (?:it|them|the)|receive)\b"
    # a get-together wished for some day, with no day ("Let's celebrate properly when you're back");
    r"|^(?:we should|let'?s)\b[^.?!]*\b(?:sometime|some time|one of these days|at some point|when you'?re back|"
    r"when things (?:calm down|settle)|(?:again )?soon)\s*[.!]*$"
    # a courtesy offer about trouble that may come ("let me know if that causes any issues").
    r"|\b(?:let (?:me|us) know|shout|ping (?:me|us)|tell (?:me|us))\s+if\s+(?:that|this|it|anything|the \w+)\s+"
    r"(?:causes?|creates?|raises?|is|becomes?|turns out to be|presents?|poses?)\s+(?:an? |any )?(?:\w+ )?"
    r"(?:issues?|problems?|conflicts?|concerns?|trouble|headaches?|difficult(?:y|ies))\b"
    # the same for a plan the sender has made, said as a negative condition and nothing more ("Let me know if
    # that doesn't work for some reason"): the reader acts only if it does not suit them.
    r"|^(?:just |please |and )?(?:let (?:me|us) know|shout|ping (?:me|us)|tell (?:me|us)|give (?:me|us) a shout)\s+"
    r"if\s+(?:that|this|it|the (?:new )?(?:time|date|day|slot|plan|change)|\w+day)\s+(?:doesn'?t|does not|won'?t|"
    r"will not|isn'?t|is not)\s+(?:work|suit|fit|ok|okay|fine|possible)\b(?:\s+for (?:you|some reason|any reason|"
    r"whatever reason))?\s*[.!]*$"
    # leave to do something if the reader likes ("Feel free to have a look if you're curious"), not an ask;
    r"|^(?:(?:and|but|so|also|of course|but of course),?\s+)?(?:please\s+)?feel free to\b[^.?!]*\bif\b"
    # an offer of something the sender has or would do, at the end of a note ("Let me know if you want the
    # notes", "let me know if anyone missed it and wants a catch-up session", "if you'd like me to send…");
    r"|\b(?:let (?:me|us) know|shout|ping (?:me|us)|tell (?:me|us)|just say)\s+if\s+(?:you|anyone|anybody|someone|"
    r"any of (?:you|them|your (?:team|staff|people))|your (?:team|staff|people))\b[^.?!]{0,40}?"
    r"\b(?:want|wants|would like|'d like|need|needs|missed)\s+(?:(?:(?:a|an|the|my|our|any|some|another)\s+)?"
    r"(?:[\w-]+\s+){0,2}(?:copy|copies|notes|slides|recording|deck|link|file|files|recap|summary|"
    r"catch-?up|walk-?through|intro|introduction|refresher|access|invite|demo)\b|me to\b|us to\b|more (?:info|"
    r"information|details)\b|it\b"
    # any thing the sender has, as long as the sentence ends there ("if you want the clippings"): an ask
    # goes on ("let me know if you want the Tuesday slot or the Friday one").
    r"|(?:the|a|an|my|our|a copy of the)\s+(?:[\w-]+\s+){0,2}[\w-]+\s*[.!]*$)"
    # the same offer said the other way round or as readiness ("If you want a walkthrough, just let me know",
    # "Happy to forward the recording if you'd like it");
    r"|^if (?:you|anyone|anybody|someone|your team)\b[^,.?!]{0,60}?\b(?:want|wants|would like|'d like|need|needs)\b"
    r"[^,.?!]{0,60},\s*(?:just\s+)?(?:let (?:me|us) know|shout|ping (?:me|us)|tell (?:me|us)|give (?:me|us) a shout)\b"
    r"|^(?:(?:i'?m|i am|we'?re|we are)\s+)?(?:(?:more than|always)\s+)?happy to\s+[^.?!]{0,80}?\bif\s+(?:you|anyone|it|that)\b"
    # support boilerplate ("Questions? Reply to this email or visit our Help Center"), a security notice's
    # advice ("If not, please reset your password"), and small talk shaped as a question ("Did you see the new
    # coffee machine?", "Have you tried the new place downstairs?");
    r"|\b(?:reply to this (?:e-?mail|message)|contact (?:us|support|our (?:support|help|customer)))\b[^.?!]*\b(?:or "
    r"(?:visit|call|contact|check|chat)|help ?(?:center|centre|desk)|if you (?:have|need)|with (?:any )?questions)\b"
    r"|^if (?:not|it wasn'?t you|this wasn'?t you|you don'?t recogni[sz]e (?:this|it))\b[^.?!]*\b(?:reset|change|secure|"
    r"update) your (?:password|account|credentials|pin)\b"
    r"|^(?:so\s+|btw,?\s+|also,?\s+)?(?:did|have) you (?:see|hear|catch|try|watch|notice|spot)\b(?!\s+(?:my|our|the (?:e-?mail|"
    r"message|invite|invitation|doc|document|draft|file|attachment|note|comments?|pr|request|ticket|contract|deck|"
    r"proposal|report|invoice)s?\b))[^?]*\?$"
    # what not to do yet ("Please don't send the contract yet", "do not book anything until we hear back";
    # "don't forget to…" still asks);
    r"|^(?:(?:hi|hello|hey)\s+[\w'-]+,\s*)?(?:please\s+|pls\s+)?(?:don'?t|do not)\s+(?!forget\b|hesitate\b|miss\b)\w+"
    r"[^.?!]*\b(?:yet|for now|until|till|for the time being)\b"
    # "Plan accordingly", "Please be advised": a notice's closing words;
    r"|^(?:please\s+)?(?:plan|act|prepare|govern yourselves)\s+accordingly\b|^(?:please\s+)?be advised\b"
    # "Please find attached the invoice": it says what is attached;
    r"|^(?:(?:hi|hello|hey|dear)\s+[\w'-]+,\s*)?(?:please\s+)?find (?:attached|enclosed|below|herewith)\b"
    # a service's own prompts: rate the ride, manage the order ("Rate Carlos in the app", "Need to change
    # something? Visit Your Orders").
    r"|^(?:please\s+)?(?:rate|review) (?:your |the |[A-Z]\w+ )?(?:[\w-]+ )?(?:in|on) (?:the|our) (?:app|website|site)\b"
    r"|^(?:please\s+)?(?:rate|review) (?:your|this) (?:ride|trip|stay|order|purchase|experience|driver|delivery|visit)\b"
    r"|^(?:visit|go to|see|open) (?-i:(?:Your|My) [A-Z]\w+)"
    # leave to ignore the note when it is already done ("Kindly ignore if already submitted", "Please
    # disregard this reminder if you have paid"; "Ignore este mensaje si ya realizó el pago", "Merci
    # d'ignorer ce message si vous avez déjà répondu", "Bitte ignorieren Sie diese E-Mail, falls Sie bereits…"):
    # a bulk sender's hedge, not an ask.
    r"|^(?:(?:please|kindly|pls)\s+)?(?:ignore|disregard)(?:\s+(?:this|the)\s+(?:e-?mail|message|reminder|notice|note|"
    r"letter|invitation|request))?,?\s+(?:if|in case|should)\b"
    r"|^(?:(?:favor de|por favor,?)\s+)?(?:ignore|ignora|ignorar|omita|omite|haga caso omiso de)(?:\s+(?:este|esta|el|la)\s+"
    r"(?:mensaje|correo|aviso|recordatorio|notificación|invitación))?,?\s+si\b"
    r"|^(?:merci\s+d'|veuillez\s+)?(?:ignorez|ignore|ignorer|ne pas tenir compte de)(?:\s+(?:ce|cet|cette)\s+(?:message|"
    r"courriel|e-?mail|mail|rappel|avis|invitation))?,?\s+si\b"
    r"|^(?:bitte\s+)?(?:ignorieren|ignoriere|betrachten)(?:\s+sie)?(?:\s+(?:diese|dieses|diesen)\s+(?:e-?mail|nachricht|"
    r"erinnerung|mahnung|schreiben|hinweis))?(?:\s+als\s+gegenstandslos)?,?\s+(?:falls|wenn|sofern)\b"
    # keeping to dates set elsewhere ("Please stick to the dates", "Respetad las fechas", "Merci de respecter
    # les délais", "Bitte haltet die Termine ein"): the dated tasks are the asks, this only urges them.
    r"|^(?:(?:please|kindly|pls|por favor,?|merci de|bitte)\s+)?(?:stick|keep|hold|adhere)\s+to\s+(?:the|these|those|our|"
    r"your|all)\s+(?:[\w-]+\s+)?(?:dates|deadlines|timeline|schedule|due dates)\b|^(?:please\s+)?(?:respect|meet)\s+"
    r"(?:the|these|those|all)\s+(?:dates|deadlines|due dates)\b"
    r"|^(?:(?:por favor,?|favor de)\s+)?(?:respeta|respetad|respeten|respetar|cumple|cumplid|cumplan|cumplir)\s+"
    r"(?:con\s+)?(?:las|los|estas|estos)\s+(?:fechas|plazos)\b"
    r"|^(?:merci\s+de\s+|veuillez\s+)?(?:respecte[rz]?|tiens|tenez|tenir)\s+(?:les|ces)\s+(?:dates|délais|échéances)\b"
    r"|^(?:bitte\s+)?(?:haltet|halten\s+sie|halte)\s+(?:(?:bitte|unbedingt)\s+)?(?:die|diese)\s+"
    r"(?:termine|fristen|daten|deadlines)\s+ein\b",
    FLAGS,
)

_HIGH = re.compile(
    r"\b(?:urgent(?:ly)?|asap|a\.s\.a\.p\.?|critical|important|high[- ]priority|top priority|"
    r"immediately|right away)\b",
    FLAGS,
)
_LOW = re.compile(
    r"\b(?:no rush|no hurry|whenever|low[- ]priority|when you (?:get|have) (?:a )?(?:chance|moment|time)|"
    r"not urgent|at your (?:leisure|convenience))\b",
    FLAGS,
)
_WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty-five": 45, "forty five": 45, "sixty": 60, "ninety": 90,
}  # fmt: skip
_DURATION = re.compile(
    r"\b(?P<n>\d+(?:\.\d+)?|a|an|one|two|three|four|five|ten|fifteen|twenty|thirty|forty[- ]five|sixty|"
    r"ninety)[- ]?(?P<unit>minutes?|mins?|m\b|hours?|hrs?|h\b)"
    r"|\b(?P<half>half[- ](?:an[- ])?hour|half an hour)\b",
    FLAGS,
)


@dataclass(frozen=True)
class SentenceIntent:
    request: bool
    commitment: bool
    meeting: bool
    question: bool

    @property
    def any(self) -> bool:
        return self.request or self.commitment or self.meeting or self.question


# "Hi David: could you…": the greeting is not the sentence; what follows it is.
_GREETING = re.compile(r"^(?:hi|hello|hey|dear)\b[^,:.!?]{0,30}[,:]\s*(?=\S)", FLAGS)


# Chat spellings of "please" ("mari porfa mandame el rol", "envoie-moi stp les photos"): read as the words
# they stand for.
# Written small: "SVP" in an English email is a senior vice-president.
_CHAT_PLEASE = re.compile(r"\b(?:porfa|porfis|porfavor|porfi|xfa|plis|(?-i:stp|svp))\b", FLAGS)
_SPELLED_OUT = {"stp": "s'il te plaît", "svp": "s'il vous plaît"}


# A passive duty with a deadline, as PASSIVE_DUTY reads it in English: "la renovación debe realizarse a más
# tardar el 15", "les documents doivent être envoyés avant le 4", "der Antrag muss bis Freitag eingereicht
# werden". Without a deadline ("die Wartung muss noch beauftragt werden") it is a state of things.
_PASSIVE_DUTY_OTHER = re.compile(
    r"\b(?:debe|deben|deberá|deberán|tiene que|tienen que|ha de|han de)\s+(?:ser\s+[^\W\d_]+(?:ad|id)[oa]s?|"
    r"[^\W\d_]+(?:ar|er|ir)se)\b(?:\s+[^\s.;!?]+){0,6}?\s+(?:a más tardar|antes del?|hasta el)\b"
    r"|\b(?:doit|doivent|devra|devront)\s+être\s+[^\W\d_]+(?:é|i|u|t|s)e?s?\b(?:\s+[^\s.;!?]+){0,6}?\s+"
    r"(?:avant|d'ici|au plus tard|jusqu'au)\b"
    r"|\b(?:muss|müssen)\s+(?=(?:[^\s?!]+\s+){0,6}?(?:bis|spätestens)\b)(?:[^\s?!]+\s+){1,12}?[^\W\d_]+(?:t|en)\s+"
    r"werden\b",
    FLAGS,
)


def classify_sentence(text: str) -> SentenceIntent:
    """Which kinds of actionable intent ``text`` carries (all False for spam-like or purely social text)."""
    flat = _GREETING.sub("", " ".join(text.split()))
    flat = _CHAT_PLEASE.sub(lambda m: _SPELLED_OUT.get(m.group().lower(), "por favor"), flat)
    # Spanish, French and German sentences are read by languages.py; the rules below are English.
    if (other_language := other_language_intent(flat)) is not None:
        request, commitment, meeting, question = other_language
        request = request or bool(_PASSIVE_DUTY_OTHER.search(flat))
        return SentenceIntent(request, commitment, meeting, question)
    if _SPAM.search(flat) or _NOT_A_TASK.search(flat):
        return SentenceIntent(False, False, False, False)
    request = bool(
        _REQUEST.search(flat)
        or IMPERATIVE.search(flat)
        or _MORE_REQUEST.search(flat)
        or PASSIVE_DUTY.search(flat)
        or BILL_DUE.search(flat)
    )
    commitment = bool(_COMMITMENT.search(flat))
    meeting = bool(_MEETING.search(flat) or _DONE_TOGETHER.search(flat))
    question = bool(_QUESTION.search(flat))
    return SentenceIntent(request, commitment, meeting, question)


def stated_duration(text: str, resolved: ResolvedDate | None) -> int | None:
    if resolved is not None and resolved.duration_minutes:
        return resolved.duration_minutes
    for m in _DURATION.finditer(text):
        if m.group("half"):
            return 30
        raw = m.group("n").lower().replace(" ", "-")
        number = (
            float(raw)
            if raw[0].isdigit()
            else _WORD_NUMBERS.get(raw, _WORD_NUMBERS.get(raw.replace("-", " "), 0))
        )
        unit = m.group("unit").lower()
        minutes = number * 60 if unit.startswith("h") else number
        if 5 <= minutes <= 12 * 60:
            return int(minutes)
    return None


def priority_of(text: str) -> Priority:
    if _HIGH.search(text):
        return "high"
    if _LOW.search(text):
        return "low"
    return "normal"


# "4pm my time (CET)": the zone comes after the words "my time".
_ZONE_AFTER = re.compile(r"^\s*(?:my|our|your|local)\s+time\s*\(?(?P<zone>[A-Z]{2,5})\)?")


# What happens in the evening: a clock time said without am/pm ("dinner Saturday at 7:30", "drinks at 8")
# is in the evening, not in business hours.
_EVENING_THING = re.compile(
    r"\b(?:dinner|supper|drinks?|tonight|evening|party|concert|gig|(?:the|a|comedy|live) show|movie|film|theat(?:re|er)|opera|"
    r"ballet|date night|bbq|barbecue|karaoke|pub|bar|cocktails?)\b",
    FLAGS,
)
# A 12-hour clock time without am/pm: "7:30", "at 8" (not "07:30", "8pm", "8 in the morning").
_BARE_CLOCK = re.compile(
    r"(?<![\d:])(?:[7-9]|1[01])(?::[0-5]\d)?(?![:\d])(?!\s*(?:[ap]\.?m\b|in the morning))", FLAGS
)


def _in_the_evening(resolved: ResolvedDate, text: str) -> ResolvedDate:
    """ "dinner Saturday at 7:30" is 19:30: business hours read 7-11 as morning, an evening thing does not."""
    if not resolved.has_time or not 7 <= resolved.due.hour <= 11 or not _BARE_CLOCK.search(resolved.phrase):
        return resolved
    if not _EVENING_THING.search(text):
        return resolved
    shift = dt.timedelta(hours=12)
    return replace(resolved, due=resolved.due + shift, end=resolved.end + shift if resolved.end else None)


# A clock time alone ("4pm", "at 10:30"): its day may be said elsewhere in the sentence.
_TIME_ONLY = re.compile(
    r"(?:(?:at|by|before|around|from|a\s+las?|à|vers|um|gegen)\s+)?\d{1,2}(?:[:.]\d\d)?\s*(?:[ap]\.?m\.?)?"
    r"(?:\s*[A-Z]{2,4})?",
    FLAGS,
)


# A time of day named by what happens then: "grab lunch with the new hire on Friday" is Friday at noon.
_NAMED_TIME = re.compile(
    r"(?:(?:at|around|by|for|over)\s+)?(?:lunch(?:time)?|noon|midday|eod|end of (?:the )?day|cob|close of business|"
    r"breakfast)",
    FLAGS,
)


def _with_day_said_apart(
    phrases: list[tuple[str, int, int]], index: int, resolved: ResolvedDate, email: EmailForExtraction
) -> ResolvedDate:
    """ "cover my 4pm with the Acme team tomorrow": a time alone takes the day said later in the sentence."""
    phrase = phrases[index][0]
    if not resolved.has_time or not (
        _TIME_ONLY.fullmatch(phrase.strip()) or _NAMED_TIME.fullmatch(phrase.strip())
    ):
        return resolved
    named = bool(_NAMED_TIME.fullmatch(phrase.strip()))
    for other, _start, _end in phrases[index + 1 :]:
        day = resolve_due(other, reference=email.sent_at, timezone=email.timezone)
        if named and day is not None and day.has_time:
            return day  # "the team lunch is on Friday at 12:30": the clock said outranks the word "lunch"
        if day is None or day.has_time:
            continue
        combined = resolve_due(
            f"{other} at {phrase.strip()}", reference=email.sent_at, timezone=email.timezone
        )
        if combined is not None and combined.has_time:
            return replace(combined, phrase=phrase)
        break
    return resolved


# Between a day and its time: "Thursday (2pm Paris time)", "Thursday, 2pm", "Thursday - 10:30".
_RESTATED = re.compile(r"\s*\(\s*")
_DAY_TIME_GAP = re.compile(r"s?\s*(?:[(,–—-]\s*|\s(?:at|from)\s+)?", FLAGS)  # "Thursdays at 2pm" too


def _with_time_said_after(
    text: str,
    phrases: list[tuple[str, int, int]],
    index: int,
    resolved: ResolvedDate,
    email: EmailForExtraction,
) -> ResolvedDate:
    """ "the brand workshop on Thursday (2pm Paris time)": a day alone takes the time said right after it."""
    if resolved.has_time or index + 1 >= len(phrases):
        return resolved
    _phrase, _start, end = phrases[index]
    following, next_start, next_end = phrases[index + 1]
    # "next Tuesday (Dec 8) at 11": the same day said again in brackets stands between the day and its time.
    restated = _RESTATED.match(text[end:])
    if restated and next_start == end + restated.end() and index + 2 < len(phrases):
        again = resolve_due(following, reference=email.sent_at, timezone=email.timezone)
        closing = re.match(r"\s*\)", text[next_end:])
        if again is not None and again.due.date() == resolved.due.date() and closing:
            end = next_end + closing.end()
            following, next_start, _next_end = phrases[index + 2]
    clock = _TIME_ONLY.match(following.strip())
    if not clock or not _DAY_TIME_GAP.fullmatch(text[end:next_start]):
        return resolved
    combined = None
    # "Thursday at 2pm"; "el martes a las 15:00", "mardi à 15h" and "Dienstag um 15 Uhr" bring their own word.
    for said in (following.strip(), clock.group().strip()):
        for joined in (f"{phrases[index][0]} at {said}", f"{phrases[index][0]} {said}"):
            combined = resolve_due(joined, reference=email.sent_at, timezone=email.timezone)
            if combined is not None and combined.has_time:
                break
        if combined is not None and combined.has_time:
            break
    if combined is None or not combined.has_time:
        return resolved
    return replace(combined, phrase=phrases[index][0])


# "the fish order for the weekend before 4", "el pedido para el sábado antes de las 4", "la commande pour le
# week-end avant 16h", "die Bestellung für Samstag bis 16 Uhr": the day after "for" is what the thing is
# for; the deadline word that follows governs the clock time alone.
_PURPOSE = re.compile(r"\b(?:for|para|pour|für)\s+$", FLAGS)
_INNER_DEADLINE = re.compile(r"\s(?:before|by|until|antes\s+de|avant|bis|vor)\s+(?=\S)", FLAGS)
_TODAY = {
    "before": "today",
    "by": "today",
    "until": "today",
    "antes": "hoy",
    "avant": "aujourd'hui",
    "bis": "heute",
    "vor": "heute",
}


def _deadline_after_purpose(before: str, phrase: str, email: EmailForExtraction) -> ResolvedDate | None:
    inner = _INNER_DEADLINE.search(phrase)
    if inner is None or not _PURPOSE.search(before):
        return None
    tail = phrase[inner.start() + 1 :]
    # A clock time alone is today's ("antes de las 4" is "hoy antes de las 4"), said in the lead's language.
    today = _TODAY[inner.group().strip().split()[0].lower()]
    for said in (tail, f"{today} {tail}"):
        deadline = resolve_due(said, reference=email.sent_at, timezone=email.timezone)
        if deadline is not None and deadline.has_time and deadline.due >= email.sent_at:
            return replace(deadline, phrase=phrase)
    return None


def _resolve_phrase(
    text: str, phrases: list[tuple[str, int, int]], index: int, email: EmailForExtraction
) -> ResolvedDate | None:
    phrase, start, end = phrases[index]
    resolved = _deadline_after_purpose(text[:start], phrase, email) or resolve_due(
        phrase, reference=email.sent_at, timezone=email.timezone
    )
    lead = _DEADLINE_LEAD.search(text[:start]) if resolved is None else None
    if lead is not None:
        # "by 04.12.": a day and month in figures read as a date only with the word that makes it a deadline.
        resolved = resolve_due(text[lead.start() : end], reference=email.sent_at, timezone=email.timezone)
    if resolved is None:
        return None
    resolved = _with_day_said_apart(phrases, index, resolved, email)
    resolved = _with_time_said_after(text, phrases, index, resolved, email)
    resolved = _in_the_evening(resolved, text)
    zone_after = _ZONE_AFTER.match(text[end:])
    if zone_after and not resolved.zone_stated:
        with_zone = resolve_due(
            f"{phrase} {zone_after.group('zone')}", reference=email.sent_at, timezone=email.timezone
        )
        if with_zone is not None and with_zone.zone_stated:
            return with_zone
    if resolved.has_time and not resolved.zone_stated and _SENDERS_TIME.match(text[end:]):
        return _on_senders_clock(resolved, email)
    return resolved


# "before 10 on Wednesday (our time)", "a las 4 (mi hora)", "avant 10h (heure de chez nous)", "bis 10 Uhr
# (unserer Zeit)": the clock is the sender's, whose zone the Date header's offset gives.
_SENDERS_TIME = re.compile(
    r"^\s*[(,]?\s*(?:(?:my|our)\s+(?:local\s+)?time|(?:mi|nuestra)\s+hora|hora\s+(?:de\s+)?(?:aquí|acá)|"
    r"(?:mon|notre)\s+heure|heure\s+de\s+chez\s+(?:moi|nous)|(?:meiner|unserer)\s+zeit)\b(?!\s*\(?[A-Z]{2,5}\b)",
    FLAGS,
)


def _on_senders_clock(resolved: ResolvedDate, email: EmailForExtraction) -> ResolvedDate:
    """The same day and clock time, read in the zone the sender wrote from."""
    sender_zone = email.sent_at.tzinfo
    if sender_zone is None:
        return resolved
    local = resolved.due.astimezone(ZoneInfo(email.timezone))
    due = local.replace(tzinfo=sender_zone)
    end = (
        resolved.end.astimezone(ZoneInfo(email.timezone)).replace(tzinfo=sender_zone)
        if resolved.end
        else None
    )
    return replace(resolved, due=due, end=end)


# Words that make a date a deadline, in the four languages read: "by Friday", "a más tardar el 26 de
# febrero", "avant le 19", "bis zum 18.11.".
_DEADLINE_LEAD = re.compile(
    r"(?:\bbefore (?:the|our|your|my) (?:[\w-]+\s+){0,2}(?:call|meeting|review|session|sync|demo|interview|visit|"
    r"trip|launch|workshop|presentation|board|offsite|audit)\s+(?:on\s+)?$"
    r"|\b(?:by|before|until|till|due|no later than|deadline(?: is)?|antes(?: de(?:l)?)?|a más tardar(?: el)?|"
    r"hasta(?: el)?|avant(?: le| la)?|d'ici(?: le| la| à)?|au plus tard(?: le)?|bis(?: zum| spätestens)?|"
    r"spätestens(?: am| bis)?)\s+(?:the\s+|el\s+|le\s+)?)$",
    FLAGS,
)


def _said_as_deadline(text: str, phrase: str, start: int) -> bool:
    return bool(_DEADLINE_LEAD.search(text[:start]) or _DEADLINE_LEAD.search(phrase.split()[0] + " "))


_SAID_OF_THE_PAST = re.compile(
    r"\b(?:sent|shared|discussed|mentioned|received|met|spoke|talked|signed|submitted|agreed|emailed|forwarded|"
    r"uploaded|posted|called|asked)\s+(?:(?:it|this|that|them|you|me|us|him|her)\s+)?(?:(?:on|last|this past)\s+)?$",
    FLAGS,
)


def resolve_first_due(text: str, email: EmailForExtraction) -> ResolvedDate | None:
    """The due of the first date phrase that resolves; but when a later phrase is said as a deadline and
    the first is not ("the rooms for the group of 15 March, by 26 February at the latest", "the launch shoot
    (week of Nov 23) by Friday"), the deadline is the due, unless only the first has a clock time. Days
    already past ("last Tuesday") and bracketed dates a later deadline follows are not candidates."""
    phrases = find_deadline_phrases(text)
    for index, (phrase, start, _end) in enumerate(phrases):
        if _SAID_OF_THE_PAST.search(text[:start]):
            continue  # "the proposal I sent on Thursday": when something happened, not when it is due
        resolved = _resolve_phrase(text, phrases, index, email)
        if resolved is None:
            continue
        if _said_as_deadline(text, phrase, start):
            return resolved
        for later in range(index + 1, len(phrases)):
            later_phrase, later_start, _later_end = phrases[later]
            if not _said_as_deadline(text, later_phrase, later_start):
                continue
            deadline = _resolve_phrase(text, phrases, later, email)
            if deadline is not None and (deadline.has_time or not resolved.has_time):
                return deadline
        return resolved
    return None
