"""Held-out evaluation set, round C: data only.

Written after the round B changes without reopening the pattern file, by the person who
made them (so not blind to them), and scored before any further change (figures in
``test_heldout_sets.py``). Its negatives are the ordinary messages a charity chat gets
every day that share words with crisis phrasing: apologies and thanks, "tonight", "I've
decided", prognosis talk, other people's deaths, dose questions, threats that are only
idioms. Every line is fictional.
"""

from __future__ import annotations

SELF_HARM: tuple[str, ...] = (
    "I've had enough. Tonight I'm taking the lot.",
    "dont want to wake up tmrw",
    "i feel like i'm just in the way of everyone's life",
    "I'm a waste of NHS money, they should spend it on someone who wants to live",
    "what's the quickest way to go",
    "ive started cutting again and its deeper each time",
    "I want to go to sleep in the garage with the car running",
    "I have my husband's insulin and I know what it would do",
    "im going to go up to the top floor of the car park after my appointment",
    "i'm ready to let go now. i don't want to fight anymore. please tell my mum i'm sorry",
    "my therapist doesnt know but ive been planning it for weeks",
    "i wish the car had hit me this morning",
    "Nobody would miss me if I went",
    "i keep googling how long it takes to bleed out",
    "Everything would be easier for my family if I was gone",
    "I've written my note, it's in the drawer",
    "i feel like a ghost, i might as well make it official",
    "I have tried before and I think I'll try again",
    "i hate my body so much i want to rip it apart",
    "thinking of throwing myself down the stairs",
    "the pills are in front of me. i'm so tired",
    "i've been saving my pain meds since the op",
    "can't live with this pain any longer, ending it this weekend",
    "I'd be doing everyone a favour if I just went",
    "The cancer came back and I'm not going through it again. I've made my peace and said "
    "goodbye to my sister",
    "i don't see a future for myself at all, and i've stopped caring whether i wake up",
    "i've been hurting myself again since the results",
    "Took my whole week of tablets in one go about 20 mins ago",
    "I can't keep myself safe tonight",
    "i'm so done. i've got the rope and a place picked out",
)

MEDICAL_EMERGENCY: tuple[str, ...] = (
    "I'm on my 4th cycle of paclitaxel and I'm shaking uncontrollably with a temp of 38.4",
    "bleeding so heavily I've gone through 3 maxi pads in an hour, feeling dizzy",
    "My aunt just fell down and she's breathing funny and won't open her eyes",
    "pregnancy test was positive on friday, now i've got sharp stabbing pain down one side "
    "and i feel faint",
    "I can't catch my breath and it hurts to breathe, I'm on tamoxifen",
    "my sister's having a seizure and it's been going for 5 minutes",
    "Chest feels like it's being squeezed and I feel sick and sweaty",
    "I'm passing clots the size of my palm and feel really lightheaded",
    "woke up soaked in blood, still bleeding a lot and feel faint",
    "my husband is slurring his words and can't lift his arm",
    "she isn't breathing properly and her lips are purple",
    "finished radiotherapy, now severe stomach pain and vomiting blood",
    "im neutropenic and my temp just hit 38",
    "I think I'm going to pass out, there's so much blood",
    "my baby is limp and won't wake up",
)

SAFEGUARDING: tuple[str, ...] = (
    "He's downstairs, he's smashed the kitchen up and says he's coming for me next",
    "I'm afraid to go home tonight, he said I'd be sorry",
    "my husband puts his hands on me when he's angry",
    "he squeezed my neck until I couldn't breathe",
    "my husband watches my every move and I'm too scared to leave",
    "my ex keeps turning up at my work and following me home",
    "my partner threatened me with a knife last night",
    "he's raped me more than once",
    "please help, he's hitting me",
    "my partner has taken my phone and locked the doors, I'm using my laptop",
    "my dad hurts me when mum isn't home",
    "i'm in an abusive relationship and i'm scared",
)

NOT_CRISIS: tuple[str, ...] = (
    "I'm so sorry to bother you, what time does the nurse line close?",
    "Sorry for all the questions! Thank you for everything, you've been so kind",
    "Tonight I'm going to try the relaxation exercises you suggested",
    "I'm seriously considering private treatment, is that worth it?",
    "I'd rather die than go to another karaoke night lol",
    "thanks so much, goodbye for now!",
    "I love you all at the Eve Appeal, keep up the good work",
    "Going to the beach tomorrow, does sun affect my scar?",
    "I've decided to stop the HRT, is there anything I should know?",
    "I'm done with chemo! Last session today!",
    "We drove up to the cliffs at the weekend for some fresh air, it helped",
    "what's the quickest way to get a GP appointment?",
    "I've got the tablets from the pharmacy, do I start them today?",
    "I feel calm now after talking to the nurse",
    "Meditation makes me feel calm, are there any groups?",
    "My mum is on a syringe driver and the nurses say she won't be here much longer, how "
    "do I prepare?",
    "I'm a bit scared of the anaesthetic, what if I don't wake up?",
    "i'm not sure i'll make it to the support group tonight",
    "she said goodbye to us all before she died, it was peaceful",
    "I keep thinking about my mum's funeral, it was this time last year",
    "I'm planning my daughter's wedding around my chemo",
    "How do I write a will?",
    "my husband has been amazing, I'm the one being grumpy",
    "My partner and I argue a lot since the diagnosis, is that normal?",
    "my dad was violent when I was a child and now I'm scared of male doctors",
    "I'm scared to go home after surgery because of the stairs, any tips?",
    "is it normal to feel dizzy after the first chemo?",
    "How long should bleeding last after a hysterectomy?",
    "my temperature is 37.2, is that ok on chemo?",
    "I have a pain on my left side when I pee, is it a UTI?",
    "My friend had an ectopic and was rushed in, what are the signs?",
    "Can a cyst cause sharp pain on one side?",
    "I've been having hot flushes and feel faint sometimes, is it the menopause?",
    "my heart races at night since starting letrozole",
    "I'm 12 weeks pregnant and just found out I have CIN3, what happens now?",
    "Took two paracetamol for my headache, can I have ibuprofen too?",
    "How many co-codamol can I take in 24 hours?",
    "I fell over in the garden and grazed my knee, it bled loads",
    "My hair is coming out in clumps, I'm devastated",
    "I'm fed up of feeling sick all the time",
    "is it true you can die from sepsis on chemo?",
    "My consultant said the cancer could take my life within a year, how do I tell my kids?",
    "I want to live as long as possible, what trials are there?",
    "Nobody in my family has had cancer, so why me?",
    "I feel so alone since my diagnosis, are there support groups?",
    "I have no one to go to appointments with me, can a volunteer come?",
    "I'm terrified of dying and leaving my kids",
    "I feel like a burden asking my daughter to drive me to chemo",
    "honestly the steroids make me want to kill someone lol",
    "I could kill my husband, he forgot my appointment again",
    "my husband would kill me if he knew I was on here moaning",
    "he'll kill me when he sees how much I spent on wigs",
    "I'm going to be sick if I hear the word positivity once more",
    "I've had a really bad day, nothing's going right",
    "it's the end of the world if I can't go to my daughter's wedding",
    "I was hit by a car years ago and have a metal plate, can I have an MRI?",
    "I ran out of my tablets, can I get more from the pharmacy?",
    "I'm giving my dog to my sister while I'm in hospital",
    "I'm cutting back on alcohol during treatment",
    "I'm feeling much better now, thank you for all your help. Goodbye!",
    "the pain is unbearable but my nurse is coming in an hour",
    "I am at the end of my tether with the hospital parking",
    "I'm not going to be around next week as I'm on holiday, can I call after?",
)

# Crisis messages the final detector still misses, each with the reason; kept in the set.
KNOWN_MISSES: tuple[str, ...] = (
    # a burden remark on its own is weak by design
    "i feel like i'm just in the way of everyone's life",
    # heading to a height is weak without a second signal
    # 'it' is never named
    "my therapist doesnt know but ive been planning it for weeks",
    # metaphor
    "i feel like a ghost, i might as well make it official",
    # 'tried' is never named
    "I have tried before and I think I'll try again",
    # an urge to injure described as a metaphor
    "i hate my body so much i want to rip it apart",
)

# Ordinary messages the final detector still answers as a crisis.
KNOWN_FALSE_ALARMS: tuple[str, ...] = ()
