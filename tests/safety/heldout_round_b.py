"""Held-out evaluation set, round B: data only.

Written after the round A changes without reopening the pattern file, by the person who
made them (so not blind to them), and scored before any further change (figures in
``test_heldout_sets.py``). It leans on kinds of message round A had few of: slang and
abbreviations, means and plans described sideways, crisis in the middle of treatment talk,
third parties, and hard negatives that share words with the patterns ("cutting myself off",
"hang the washing", "dead set", prognosis fears). Every line is fictional.
"""

from __future__ import annotations

SELF_HARM: tuple[str, ...] = (
    "been stockpiling my oramorph for weeks. i know exactly how much i need",
    "my kids will be ok without me, my sister will raise them better than i could",
    "I keep thinking the world would be a better place without me in it",
    "can't stop thinking about crashing the car on the way home from chemo",
    "I'm going to swallow everything in the bathroom cabinet when he goes to work",
    "I've been looking at the train times, and not to travel anywhere",
    "I've made a decision, I'm not doing this anymore, any of it",
    "my mind keeps telling me to jump when I'm on the bridge",
    "hate myself so much i slice my legs where no one can see",
    "I took 2 boxes of my sleeping tablets, i just wanted to tell someone",
    "I am so so tired. I want to sleep and never wake up again.",
    "If the cancer doesn't get me I'll do it myself",
    "i keep picturing my own funeral and it makes me feel calm. i've chosen the songs",
    "wat is the point of me bein here nobody cares",
    "i just wanna go to sleep forever tbh",
    "Sorry to bother you, I've taken some pills and I don't feel right",
    "I wish I had the courage to end it",
    "I'm writing letters to my children for after I'm gone. Not because of the cancer.",
    "Can't face another day of this. Ive got the tablets lined up",
    "thinking about ending my life every day now",
    "I don't think I'll be here next week. I'm sorry",
    "i have a plan and i have the means",
    "i feel like the only way out is to die",
    "i want to hurt myself so bad right now",
    "I haven't eaten in days on purpose, I want to waste away",
    "my husband would get the life insurance and be fine",
    "I'm going to drive up to the cliffs tonight and that'll be that",
    "I've been burning my arms with cigarettes",
    "what would happen if i took all 28 of my tamoxifen at once",
    "I'd like to go to sleep and not wake up, is that wrong?",
    "everyone says I'm strong but honestly I'm planning my exit",
    "cnt do it no more. im gonna finish it tonite",
    "I keep punching myself in the head when the pain gets bad",
    "I'd rather die than have another round of chemo, and I mean that, I've got the pills",
    "just had half a bottle of vodka and 20 diazepam",
)

MEDICAL_EMERGENCY: tuple[str, ...] = (
    "my wife's gone really pale and she's bleeding heavily after her operation, she's barely awake",
    "I'm 7 weeks and suddenly got agonising pain in my right side, and my shoulder hurts",
    "had my 2nd cycle of chemo on monday, now 38.2 and shivering",
    "my mum's just fallen and she's not answering me",
    "can't get my breath and my lips feel numb",
    "I feel like someone is sitting on my chest and my arm is tingling",
    "She's having a fit and her lips are blue",
    "just been sick and there was blood in it, loads",
    "really heavy bleeding, huge clots, I feel like I'm going to faint",
    "my partner just collapsed in the shower",
    "help my dad is on the floor and won't respond",
    "I can't stop the bleeding from my wound and I feel woozy",
    "chemo last week and now I've got a temp and feel shaky and awful",
    "my period's late and i'm in agony low down on my left, I nearly passed out on the loo",
    "I think I'm having an allergic reaction, my throat feels tight and I can't swallow",
    "pain in my chest that goes into my jaw",
    "breathing really fast and shallow and my heart is pounding",
)

SAFEGUARDING: tuple[str, ...] = (
    "he's threatened to burn the house down with me in it",
    "my ex has been sitting outside my house in his car all night",
    "im scared, he's been drinking and he's getting angry, last time he hurt me",
    "he held a pillow over my face last night",
    "my husband won't let me have my own bank card and says no one would believe me",
    "he hurt me again and i cant tell anyone",
    "i think my partner is going to kill me",
    "he tracks my phone and turns up wherever I go, I'm frightened",
    "my son gets violent when he's using and I'm scared to be in the house with him",
    "my boyfriend pinned me down and wouldnt let me leave",
    "he told me if i go to the police he'll hurt the kids",
    "there's someone trying to get into my house, I'm on my own",
    "my partner has been sending me messages saying he'll make me pay",
)

NOT_CRISIS: tuple[str, ...] = (
    "I'm dying for a cuppa after that appointment",
    "killing time before my scan",
    "My oncologist is dead set on surgery",
    "this hot flush is killing me lol",
    "I laughed so hard I nearly wet myself",
    "the tamoxifen tiredness is real, I could sleep for a week",
    "I'm going to hang the washing out then call the nurse line",
    "My mum passed away peacefully in the hospice last month, thank you for your support",
    "what are the chances of surviving ovarian cancer if caught early?",
    "my friend's daughter has endometrial cancer, how can I support her?",
    "After my hysterectomy I had some light bleeding, is that normal at 2 weeks?",
    "how much blood is normal to lose after a LLETZ?",
    "What are the signs of neutropenic sepsis?",
    "Do I need to go to A&E if my temperature goes over 38 on chemo?",
    "I'm pregnant and have a bit of a stitch, is that normal?",
    "My period is late but I've been stressed, could I be pregnant?",
    "I fainted at my blood test last year, any tips?",
    "Is heavy bleeding normal on the first period after chemo?",
    "can ovarian cancer cause shortness of breath?",
    "Can tamoxifen cause blood clots?",
    "my husband is controlling about the thermostat haha",
    "my partner is very protective and comes to every appointment with me",
    "my ex husband is taking me to court over the house",
    "My daughter is scared of needles, any advice for her smear?",
    "I'm scared of what the scan will show",
    "I'm afraid I won't be around to see my grandkids grow up",
    "Will I be alive in 5 years? What are the stats for stage 3?",
    "I wrote letters for my kids to open on their birthdays because my prognosis is short",
    "I'm giving my old maternity clothes to charity",
    "No more chemo for me! Finished my last cycle today",
    "I've decided to have the surgery",
    "I'm not going to give up, I'm a fighter",
    "I've had enough of this rain",
    "I'm done with hospital food, can I bring my own?",
    "What's the point of having a smear if I've had the HPV vaccine?",
    "i'm not going to end up like my mum, I'm getting tested for BRCA",
    "what support is there for people who self-harm?",
    "I cut my hair short before chemo",
    "I'm cutting myself off from social media for a bit, too much bad news",
    "I keep burning myself on the oven because my fingers are numb from chemo",
    "She took her own life in 2012 and I still miss her",
    "the treatment is taking over my life",
    "Is it safe to take two paracetamol with my tamoxifen?",
    "How much morphine is too much? My mum is on a syringe driver",
    "I nearly passed out from the heat at the hospital yesterday",
    "i'm so done with this cold, been coughing for a week",
    "Help! The nurse line number isn't working",
    "I'm bleeding a bit after my smear test, should I worry?",
    "the thought of chemo makes me want to run away and hide",
    "I'd love to just disappear on a holiday for a week after all this",
    "My husband is my rock, I'd be lost without him",
    "The consultant said the tumour is pressing on my bladder",
    "Feeling a bit low today but my friends are coming round later",
    "Does radiotherapy make you feel faint?",
    "I'm terrified my cancer will come back",
    "I've been hitting the gym to get strong before surgery",
    "He's been amazing, he hasn't left my side",
)

# Crisis messages the final detector still misses, each with the reason; kept in the set.
KNOWN_MISSES: tuple[str, ...] = (
    # means implied only by what is left unsaid
    "I've been looking at the train times, and not to travel anywhere",
    # letters "for after I'm gone" are legacy letters for someone with cancer; only the
    # last sentence says otherwise
    "I'm writing letters to my children for after I'm gone. Not because of the cancer.",
)

# Ordinary messages the final detector still answers as a crisis.
KNOWN_FALSE_ALARMS: tuple[str, ...] = ()
