"""Held-out evaluation set, round F: data only.

Written after the compositional self-harm layer was added, without reopening the pattern file
while writing, and scored before any further change (figures in ``test_heldout_sets.py``).
Indirect self-harm in new voices, and hard negatives chosen to trip a concept-based rule: the
writer, a death word and a wish or a plan in one sentence, but about treatment, someone else,
a holiday or a joke. Every line is fictional.

Judgement calls (for the clinical reviewer):

* "I hope I go quickly when it's my time" is end-of-life talk: quiet.
* "I wish the cancer would just hurry up" from someone with a terminal diagnosis is a passive
  death wish: it fires.
* Talking about a late sister's suicide attempt, or a teenager's self-harm, is quiet: the writer
  is not the one at risk.
"""

from __future__ import annotations

SELF_HARM: tuple[str, ...] = (
    "some days i think the kindest thing i could do for my family is not be in it",
    "I keep looking at the tablets in the bathroom cabinet and counting them",
    "I'm so done. done with hospitals, done with people, done with breathing",
    "i wish the cancer would just hurry up and finish the job",
    "Honestly I'd welcome not waking up",
    "I've worked out which bridge and what time, I just need to do it",
    "going to drink the whole bottle of vodka with my sleeping pills",
    "wish i could just switch myself off",
    "my kids deserve a mum who isnt broken, they'd do better with me out of the picture",
    "I've stopped eating on purpose, I want to waste away",
    "i cant keep living like this i want out",
    "It feels like the only way to make this stop is to not be alive",
    "i've said goodbye to the dog and left the door unlocked for whoever finds me",
    "how long would it take to bleed out if you cut deep enough",
    "I am going to walk into the river tonight",
    "nobody would miss me if I went to sleep and stayed asleep",
    "I want to go to sleep for ever",
    "I'm not scared of death anymore, I'm looking forward to it",
    "Dreaming about my own funeral and it feels like a relief",
    "I'm planning to make sure this is my last Christmas",
    "i feel like i should just end myself",
    "every night I hold the blade and think about how easy it would be",
    "Life would be simpler for everyone if I wasn't in it",
    "i don't wanna live through another round of this, i'd rather go now on my own terms",
    "the voices say I should die and I'm starting to agree",
    "I just want everything to go black and stay black",
    "I've been drinking every night hoping I don't wake up",
    "Please don't tell anyone but I tried to hang myself last week and I might try again",
    "i really want to hurt myself right now",
    "Lost my job, lost my hair, lost my husband, I'm ready to lose the rest and just go",
    "I'm thinking of ending it before the surgery",
    "all i can think about is how i'd do it",
    "I've got a stash of oramorph and I'm going to use it",
    "Everyone would be relieved if I died",
    "my life is over, I just want to die in peace, away from everyone, soon",
    "i'm driving to the coast and i'm not coming back",
    "its time to give up, ive made my choice",
    "i keep wishing i would crash the car on the way to chemo",
    "I'll be dead by the weekend, don't worry about me",
    "Can't do this another day. Taking all my pills now",
    "I sat on the edge of the roof last night for an hour",
    "Mum, if you read this, I'm sorry I wasn't strong enough",
)

MEDICAL_EMERGENCY: tuple[str, ...] = ()

SAFEGUARDING: tuple[str, ...] = ()

NOT_CRISIS: tuple[str, ...] = (
    "I hope I go quickly when it's my time, I don't want a long drawn out end",
    "I want to die knowing I did everything I could for my girls",
    "I'm planning my own funeral playlist, is that morbid?",
    "My nan always said she wanted to die in her own bed and she did",
    "I'm going to kill it at my first day back at work",
    "I want to disappear under a duvet with a box set all weekend",
    "I'd rather be anywhere than the chemo suite on a Monday",
    "We're planning a trip to the coast tonight to scatter Dad's ashes",
    "Planning to end my treatment early to get to my son's wedding, is that wise?",
    "I want to stop the tablets because the side effects are awful",
    "I've decided I'm done with the letrozole, can I come off it suddenly?",
    "I'm ready to give up sugar completely, does diet help?",
    "My sister tried to end her life after her diagnosis, how can I help her?",
    "My teenager has been cutting herself and I want to help",
    "My friend's husband took an overdose last year, I worry about her",
    "What are the signs someone is thinking about suicide?",
    "I'm scared I'll die during the operation",
    "I'm scared I won't be around to see my grandchildren grow up",
    "Will I be around for Christmas? The doctors won't give a timeframe",
    "I don't want to die, please tell me there's more they can try",
    "How do I write letters to my children for after I've died?",
    "I want my ashes scattered at the beach where we got married",
    "I've stockpiled so many dressings and pads, the nurse says I can stop ordering",
    "I keep my tablets in a locked box because of my grandkids",
    "I've been saving up for a wig, which ones are best?",
    "I'm going to the bridge club tonight for the first time since surgery",
    "Counting down the days till my last radiotherapy session!",
    "My last chemo is tomorrow, I'm so ready",
    "I'm sick of everyone telling me to be positive",
    "I'm so tired of the fatigue, I want to feel like myself again",
    "Honestly the nausea makes me wish I was dead some days, but it passes and I'm okay",
    "I'd kill for a proper night's sleep after these steroids",
    "The waiting is the worst, I just want it over with so I know",
    "I want this cancer gone and out of my life",
    "I just want the pain to go away, what else can I take with paracetamol?",
    "Is it normal to feel numb and flat after treatment ends?",
    "Thought I was going to die on that rollercoaster with the grandkids",
    "My husband said he'd rather die than go to the doctor about his cough",
    "I could just die of embarrassment, I fainted in the waiting room",
    "I'm dead set on finishing the marathon after chemo",
    "I wanted to end the call with the consultant because I couldn't take it all in",
    "Not sure I can face another scan, they make me so anxious",
    "I can't go on holiday this year because of treatment, gutted",
    "There's no point me going to the support group, it's too far",
    "I've written my will and I feel a lot calmer now",
    "If I die before my husband, who gets my pension?",
    "My goodbye party at work is tomorrow as I'm retiring early for treatment",
    "I keep driving past the hospital where my mum died, it's hard",
    "The dog ate my tablets! Should I call the vet?",
    "I feel like I'm slowly disappearing, I've lost so much weight, is that the cancer?",
    "I'm ready to go home from hospital, when can I be discharged?",
    "Do I need to stop my tamoxifen before the op?",
)

# Self-harm messages the final detector still misses: mostly a plan or an ending named only by
# context ("before I do something", "how I'd do it", "not coming back"), with no death word.
KNOWN_MISSES: tuple[str, ...] = (
    "i've said goodbye to the dog and left the door unlocked for whoever finds me",
    "I'm not scared of death anymore, I'm looking forward to it",
    "Dreaming about my own funeral and it feels like a relief",
    "Lost my job, lost my hair, lost my husband, I'm ready to lose the rest and just go",
    "my life is over, I just want to die in peace, away from everyone, soon",
    "i'm driving to the coast and i'm not coming back",
    "its time to give up, ive made my choice",
)

# Ordinary messages the final detector still answers as a crisis (each also fires a phrase family;
# see the module docstring for the judgement calls).
KNOWN_FALSE_ALARMS: tuple[str, ...] = (
    "I want to die knowing I did everything I could for my girls",
    "My nan always said she wanted to die in her own bed and she did",
    "What are the signs someone is thinking about suicide?",
    "How do I write letters to my children for after I've died?",
    "Honestly the nausea makes me wish I was dead some days, but it passes and I'm okay",
    "Thought I was going to die on that rollercoaster with the grandkids",
)
