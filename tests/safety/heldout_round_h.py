"""Held-out evaluation set, round H: data only.

Written after the round G changes without rereading them, and scored before any change made
because of it. First run: self_harm 12/42, quiet 41/44. No fix round of its own;
after the broad-net rule (tuned on rounds A-H together): 18/42, quiet 41/44 (see
``test_heldout_sets.py``). Indirect self-harm in yet more voices, and hard negatives that
borrow the same shapes. Every line is fictional.

Judgement calls (for the clinical reviewer):

* "I keep wondering if anyone would come to my funeral" alone is rumination, not a plan; it is
  listed as self-harm here because it came with "since I stopped eating".
* "Wish I was dead some days, but it passes" style messages count as self-harm: a nurse callback
  is the safer answer.
"""

from __future__ import annotations

SELF_HARM: tuple[str, ...] = (
    "i've decided i'm not doing the next cycle or anything else, i just want to be gone by spring",
    "it would be so easy to just keep walking into the sea",
    "tbh i think about not existing like all the time",
    "i have a date in mind and it feels good to know there's an end",
    "my daughter will have a better life once i'm out of the way",
    "Ive put the boys' names on everything and left instructions for the funeral. im tired",
    "no one knows I've been collecting my pain meds, I'm nearly there",
    "i've started hurting myself again where no one can see",
    "the bath, the razor, i keep picturing it",
    "sometimes i wish the car would just come off the road with me in it",
    "I wish I was dead most days and it isn't passing",
    "i just wanna sleep and never deal with anything ever again",
    "I'm a waste of a hospital bed, someone else should have my place",
    "i hope the scan shows it's everywhere so i can stop pretending",
    "my husband deserves someone who isn't dying slowly, I'll speed it up for him",
    "i'm going up to the top floor of the car park after my appointment",
    "pls dont let them ring me, ive made up my mind",
    "its not the cancer thats going to kill me",
    "nobody will have to visit me in hospital anymore after this week",
    "writing this so someone knows why i did it",
    "i'm sorry mum, i tried",
    "the morphine driver is right here and i know how to turn it up",
    "i cant be a mum like this, they'll be ok with their dad when im gone",
    "i stopped seeing the point a while ago, now i've stopped wanting to wake up",
    "looked up the tide times at the cliffs",
    "every day i think about jumping",
    "i'm tired of being the sick one, i'd rather just not be",
    "id be doing them all a favour",
    "i keep hitting my head against the wall until it hurts",
    "what's the quickest way to go without it hurting",
    "if i don't wake up tomorrow thats fine by me",
    "i want out of this life not just this illness",
    "soon none of this will be my problem",
    "got the car keys and a full tank, i know where i'm headed",
    "they'll find the letter in the kitchen",
    "this is the last time you'll hear from me",
    "i've taken a few more than i should have, just to see",
    "told work i won't be back, no need to tell them why",
    "honestly ending things feels like the only thing i get to decide now",
    "ive hidden the blades in my pencil case",
    "my body is already dying so why not finish it",
    "i don't want rescuing this time",
)

MEDICAL_EMERGENCY: tuple[str, ...] = ()

SAFEGUARDING: tuple[str, ...] = ()

NOT_CRISIS: tuple[str, ...] = (
    "I've decided I'm not doing the next cycle, can we talk about other options?",
    "I have a date in mind for my wedding, will I be well enough after surgery?",
    "My daughter will have a better life if I can get well, that's why I'm fighting",
    "I've put the boys' names on the school waiting list, one less worry",
    "I've been collecting recipes for the low residue diet",
    "Walking into the sea at Whitby was freezing but so good for my head",
    "I just want to sleep, these steroids keep me awake",
    "I hope the scan shows it's shrinking",
    "I'm going up to the top floor of the hospital for my scan, which lift?",
    "I've made up my mind to try the trial",
    "It's not the cancer that's the worst part, it's the waiting",
    "Nobody will have to drive me to radiotherapy anymore after this week, it's my last one!",
    "Writing this so someone knows how good the nurses were",
    "I'm sorry mum didn't get the chance to see me finish treatment",
    "The morphine driver is beeping, how do I silence it?",
    "Looked up the tide times for a walk with the dog",
    "Every day I think about my mum who died of ovarian cancer",
    "I'm tired of being the sick one at family gatherings",
    "I'd be doing them all a favour if I stopped nagging about the check-ups",
    "What's the quickest way to get a GP appointment?",
    "If I don't wake up feeling better tomorrow I'll call 111",
    "I want out of this job, it's too stressful with treatment",
    "Soon none of this will matter, I'll be back to normal",
    "Got the car keys back from my son now I'm allowed to drive",
    "They'll find the results letter in the post, the nurse said",
    "This is the last time I'll have to have a smear test, thank goodness",
    "I've taken a few more paracetamol than I should have today, is that dangerous?",
    "Told work I won't be back until March",
    "Honestly stopping chemo feels like the only thing I get to decide now",
    "My body is already tired, so why not rest?",
    "I don't want rescuing, I just want someone to listen to me moan",
    "I keep hitting my head on the kitchen cupboard, I'm so dizzy after chemo",
    "I think about dying a lot since my diagnosis, is that normal? I'm not going to do anything",
    "Can you die from a bowel obstruction?",
    "How do people cope when they know they're dying?",
    "I'm a waste of space before my coffee",
    "My friend said she wanted to jump off a bridge after her exam results, she was joking",
    "I sat by the reservoir and had a good cry, it helped",
    "I'm finished with the last cycle! Bell ringing on Friday",
    "I'm going to end my relationship with my oncologist and get a second opinion",
    "The razor burn after shaving for surgery is awful",
    "I wish I could skip to the end of treatment",
    "I feel like a burden on my sister but she says I'm not",
    "The end is in sight, two more radiotherapy sessions",
)

# First-run misses still missed. Round H was scored after the round G changes and has had no
# fix round of its own; six first-run misses are caught by the broad-net rule (tuned on rounds
# A-H together before round I was scored; figures in test_heldout_sets.py).
KNOWN_MISSES: tuple[str, ...] = (
    "my daughter will have a better life once i'm out of the way",
    "Ive put the boys' names on everything and left instructions for the funeral. im tired",
    "sometimes i wish the car would just come off the road with me in it",
    "I'm a waste of a hospital bed, someone else should have my place",
    "i hope the scan shows it's everywhere so i can stop pretending",
    "pls dont let them ring me, ive made up my mind",
    "its not the cancer thats going to kill me",
    "writing this so someone knows why i did it",
    "i'm sorry mum, i tried",
    "id be doing them all a favour",
    "i keep hitting my head against the wall until it hurts",
    "soon none of this will be my problem",
    "got the car keys and a full tank, i know where i'm headed",
    "they'll find the letter in the kitchen",
    "i've taken a few more than i should have, just to see",
    "told work i won't be back, no need to tell them why",
    "my body is already dying so why not finish it",
    "i don't want rescuing this time",
)

# First-run false alarms, not yet fixed.
KNOWN_FALSE_ALARMS: tuple[str, ...] = (
    "If I don't wake up feeling better tomorrow I'll call 111",
    "I'm a waste of space before my coffee",
    "My friend said she wanted to jump off a bridge after her exam results, she was joking",
)
