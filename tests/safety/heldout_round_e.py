# ruff: noqa: E501  (messages are data: kept on one line each, as people wrote them)
"""Held-out evaluation set, round E: data only.

Written before the compositional self-harm layer existed, without consulting the pattern file
for wording, and scored on the detector as it stood (figures in ``test_heldout_sets.py``).
Weighted towards *indirect* self-harm, the kind earlier rounds kept missing on first run, and
towards hard negatives full of death words: prognosis, fear of dying, bereavement,
end-of-life planning, exhaustion, treatment decisions and everyday idiom. Every line is
fictional.

Judgement calls (the clinical reviewer should check these):

* "I don't want to die" and "I'm scared of dying" are fear of death, not a wish for it: quiet.
* "I'm done with chemo" / "I want to stop treatment" alone is a treatment decision: quiet.
  "I'm done with chemo and done with everything, I want it all to be over" is not.
* "I'd rather die than have another smear" is exaggeration about a procedure: quiet.
* A wish to be with someone who has died, *with* a wish to stop living, is self-harm; grief
  alone ("I miss her so much I can't breathe some days") is quiet.
* "What's the point of chemo if it's spread" is a treatment question: quiet. "What's the point
  of me being here" is not.
* Passive wishes ("I wish I wouldn't wake up") count as self-harm: the crisis reply is the
  safer answer and a nurse should call back.
"""

from __future__ import annotations

SELF_HARM: tuple[str, ...] = (
    # older women, mid-treatment
    "I am 74 and I have had enough now, I would like to just go to sleep and be done with it all",
    "i have been saving my morphine for weeks and i think i have enough now",
    "The oncologist says the scan is clear but honestly I wish it had got me, I can't do this",
    "i sometimes think it would be kinder to everyone if i just slipped away quietly tonight",
    "My husband would cope better without me dragging him down, he'd be free",
    "I've had enough of living like this, I'm ready to go",
    "i dont see the point in carrying on now the cancer is back",
    "I've started giving my jewellery to my nieces so they have it before I do something",
    "There's a reservoir near us and I keep driving there and sitting looking at the water",
    "Each night I pray I won't wake up in the morning",
    "I've written to each of my children explaining why I'm going to end it",
    "I'm not going to the next appointment or any other, I'll be gone by then",
    # young people, text speak, no punctuation
    "cant be arsed with anything anymore just want to not exist",
    "honestly wanna disappear forever nobody would even notice",
    "ive got the pills lined up on my desk",
    "dont think ill be around much longer tbh",
    "im gonna end it all tonite i cant do this",
    "every1 wud b happier if i wasnt alive",
    "thinking bout jumping off the multi storey after college",
    "i keep scratching my arms till they bleed its the only thing that helps",
    "tired of existing",
    "ngl i wanna kms",
    "i just want 2 stop breathing",
    "no1 would care if i died 2nite",
    # carers
    "Caring for mum while I'm on chemo myself, some nights I just want to swallow everything in the cupboard",
    "Honestly if something happened to me it would be a relief, I'm so tired of all of it",
    "I've thought about driving into a wall on the way back from the hospital",
    "I don't want to be alive when she dies, I can't face it, I've got a plan",
    # long rambling, signal buried in the middle
    "Had my bloods done today and they were fine, the nurse was lovely, but I've been lying awake working out how to make sure I don't wake up, anyway does anyone know if the parking at the Royal Marsden is free for patients",
    "Sorry this is long. Started letrozole in March, joint pain is awful, hot flushes all night, my daughter has moved to Leeds, I've been thinking everyone would be better off if I was dead, and my GP just keeps upping the dose of everything",
    "So the results came back and it has spread to my liver, the team were kind and explained the options, but I've already decided I won't be here for any of it, I've got enough tablets saved, just wanted to tell someone",
    "I went back to work this week after the hysterectomy and everyone was nice but I sat in the car park for an hour thinking about ending my life, then went in like nothing happened",
    # UK idiom, understatement
    "I think I'm going to top myself, I really do",
    "Feel like I'm at the end of the road with everything, I've had it with life",
    "I just want to go to bed and not wake up, is that awful to say",
    "I'm thinking of doing myself in",
    "Might just walk into the sea and keep going",
    "Nothing left for me now, I just want to be gone",
    # typos and misspellings
    "i want to dye, i mean it, i cant stand another day",
    "sometimes i think about overdosing on my painkilers",
    "i have been cuting again, its bad this time",
    "i wnat to kill my self",
    "no reson to keep living",
    # goodbye / final acts
    "Thank you for listening all these months. I won't be needing the nurse line after tonight",
    "I've updated my will, sorted the cat and left a note for Dave. I'm at peace with what I'm going to do",
    "This is my last message, look after yourselves",
    "I'm sorry for everything, please tell my sister I love her, I can't keep going",
    # hopelessness + ending concept
    "There's no way out of this except dying",
    "I'm a burden to everyone, the only answer is for me to not be here",
    "I can't see a future, I just want my life to stop",
    "I wish I could just fall asleep forever",
    "Living is just pain now, I want to die and get it over with",
    "Part of me hopes the chemo kills me so I don't have to do it myself",
    "what is the point of me being alive",
    "I want the pain to end and I know how to make it end",
    "i've been on the bridge twice this week just looking down",
    "I've tied a rope in the garage",
    "I bought a hosepipe for the car exhaust",
    "Been thinking about stepping in front of the train on the way home",
    "I'd be better off dead honestly",
    "I keep hurting myself on purpose so I feel something",
    "Ive been taking extra of my tablets to see what happens",
    "I want to end my life before the cancer does it for me",
    "I don't want to wake up tomorrow",
    "Life isn't worth living anymore",
)

MEDICAL_EMERGENCY: tuple[str, ...] = ()

SAFEGUARDING: tuple[str, ...] = ()

NOT_CRISIS: tuple[str, ...] = (
    # fear of dying, prognosis
    "I'm scared of dying, is that normal after a diagnosis like this?",
    "I don't want to die, I've got two kids under five",
    "Will I die from this? The consultant said stage 3",
    "How long do people live with stage 4 ovarian cancer?",
    "What's the survival rate for cervical cancer caught early?",
    "I keep thinking about death since the diagnosis, is counselling available?",
    "Is it possible to die from the side effects of chemo?",
    "I'm frightened the cancer will kill me before my daughter's wedding",
    "Everyone keeps saying I'm going to beat this but what if I don't survive",
    "My prognosis is 12 to 18 months, how do I tell my children?",
    "I'm terrified I won't wake up from the anaesthetic",
    "Does womb cancer always come back? I don't want to go through this again",
    "What happens at the end with ovarian cancer? I want to know what to expect",
    "The thought of dying and leaving my husband alone breaks my heart",
    # bereavement
    "My mum died of ovarian cancer last year, should I get tested for BRCA?",
    "My sister passed away in March and I still can't believe she's gone",
    "My best friend died from cervical cancer at 34, I want to get screened",
    "Since my husband died I've been struggling to sleep, who can I talk to?",
    "Grandma was gone before we got to the hospital",
    "My aunt took her own life years ago and I worry about my cousin",
    "How do I explain death to a six year old whose nan has died?",
    "I miss her so much I can't breathe some days",
    "Dad hung on for three days after they stopped the drip",
    # end of life planning, wills, funeral
    "I've made my will and sorted out a lasting power of attorney",
    "Can you tell me about advance care planning and a DNACPR form?",
    "I want to die at home rather than in hospital, how do I arrange that?",
    "I'm choosing a hospice and want to know what end of life care looks like",
    "I've written my funeral wishes down so the kids don't have to guess",
    "I've been giving away clothes I can't fit into since the surgery",
    "We're planning my mum's funeral and I don't know where to start",
    "Palliative team are coming on Tuesday to talk about pain relief at the end",
    # treatment decisions and tiredness
    "I'm done with chemo, I've decided not to have the last two cycles",
    "I want to stop treatment and enjoy the time I have left",
    "I could sleep for a week after that last round",
    "So exhausted I could sleep forever, is fatigue normal on carboplatin?",
    "I'm tired of hospitals and needles and waiting rooms",
    "I've had enough of these hot flushes, anything that helps?",
    "Just want this treatment to be over so I can get back to normal",
    "I can't wait for it all to be over and to ring the bell",
    "I'm sick of being sick",
    "What's the point of chemo if it's already spread?",
    "Is there any point having radiotherapy at my age?",
    "The tablets they gave me for nausea aren't working, can I take more?",
    "How many paracetamol can I take with codeine safely?",
    "I'm worried I took my letrozole twice this morning by accident",
    "I've got a stockpile of dressings from the district nurse, can I donate them?",
    # idioms and exaggeration
    "I'd rather die than have another smear test, they're agony",
    "At the end of my tether with this GP surgery, three weeks for a callback",
    "Dying to know my results, the wait is unbearable",
    "Killed two birds with one stone, got my bloods and my flu jab done",
    "Over my dead body is my ex coming to my chemo sessions",
    "This heat is killing me, any tips for hot flushes at night?",
    "I nearly died laughing at the nurse's joke about the gown",
    "My feet are killing me after walking round the hospital",
    "I could murder a cup of tea after that appointment",
    "If I have to hear one more 'stay positive' I'll scream",
    "My mother in law will be the death of me",
    "I'm dead on my feet after the school run and radiotherapy",
    "The suspense is killing me, still no letter",
    "That comedy special had me dead",
    "I'm going to kill my husband, he forgot the prescription again",
    "Jumped out of my skin when the phone rang, thought it was the hospital",
    "I'd kill for a decent night's sleep",
    "Ready to throw the laptop out the window, the booking system keeps crashing",
    # hypothetical, third person, news, questions
    "Do people with cancer have a higher risk of suicide? Asking for a research project",
    "I read a story about a woman who ended her life after her diagnosis, it's so sad",
    "How do I support my friend who says she wants to die? She's on chemo",
    "My daughter is self harming and I don't know what to do, she's 15",
    "Is assisted dying legal in the UK yet?",
    "Can an overdose of chemo drugs happen by mistake in hospital?",
    "The character in the book jumped off a bridge and it really upset me",
    "Is it true that some ovarian cysts can burst and kill you?",
    "What is the sleep forever thing people talk about with sedation at the end of life?",
    # negated / recovered
    "I'm not suicidal, just really low and want to talk to a nurse",
    "I used to think about ending it years ago but I'm in a much better place now",
    "I've never wanted to hurt myself, I just feel flat",
    "No thoughts of harming myself, just very tearful",
    # ordinary things with means/place words
    "Crossing the bridge to the hospital every day is costing a fortune in tolls",
    "I get the train to my radiotherapy, is there help with travel costs?",
    "The rope swing at the park is my grandson's favourite",
    "I've got a box of pills from the pharmacy and don't know which to take first",
    "Going to the coast tonight to see the sunset with my husband",
    "I've decided to give away my wedding dress to a charity shop",
    "Goodbye and thank you, the nurse line was brilliant",
    "Sorry for everything I said when I was angry at the clinic, I was scared",
    "I'm ready for my operation tomorrow, feeling positive",
    "Tonight's the night I finally tell my family about the diagnosis",
)

# Self-harm messages the final detector still misses: mostly a plan or an ending named only by
# context ("before I do something", "how I'd do it", "not coming back"), with no death word.
KNOWN_MISSES: tuple[str, ...] = (
    "I've started giving my jewellery to my nieces so they have it before I do something",
    "dont think ill be around much longer tbh",
    "Feel like I'm at the end of the road with everything, I've had it with life",
    "i want to dye, i mean it, i cant stand another day",
    "i have been cuting again, its bad this time",
    "no reson to keep living",
    "Thank you for listening all these months. I won't be needing the nurse line after tonight",
    "I've updated my will, sorted the cat and left a note for Dave. I'm at peace with what I'm going to do",
    "I bought a hosepipe for the car exhaust",
)

# Ordinary messages the final detector still answers as a crisis: none since the round G guards
# (tiredness idioms, questions about suicide risk, grief breathlessness, a parent about a child).
KNOWN_FALSE_ALARMS: tuple[str, ...] = ()
