"""Embedded English vocabulary for the simulator's generated text.

Real words, grouped by the themes people pin about, so that full-text search over
generated names, titles and descriptions finds something meaningful. Text is composed
from one random integer per record (see `Words`), which keeps generation of hundreds of
thousands of records fast.
"""

from __future__ import annotations

from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.strip().splitlines())


ADJECTIVES: tuple[str, ...] = _words(
    """
    cozy rustic modern minimalist vintage bohemian elegant simple easy quick healthy
    colorful neutral bright warm fresh classic timeless chic playful natural handmade
    budget luxury seasonal summer autumn winter spring weekend everyday coastal
    scandinavian tropical golden soft bold delicate hearty creamy crispy zesty spicy
    smoky sweet airy earthy romantic sustainable organic
    """
)

THEMES: dict[str, tuple[str, ...]] = {
    "fashion": _words(
        """
        outfit dress sweater cardigan denim jacket blazer scarf boots sneakers handbag
        earrings necklace linen cashmere skirt jumpsuit capsule wardrobe trench loafers
        sandals hat belt
        """
    ),
    "home decor": _words(
        """
        living room bedroom kitchen bathroom entryway shelf mirror rug lamp pillow throw
        blanket curtains wallpaper sofa armchair vase candle gallery wall rattan ceramic
        plants
        """
    ),
    "recipes": _words(
        """
        pasta salad soup curry tacos risotto casserole bread muffins pancakes smoothie
        granola lemon garlic chicken salmon tofu avocado tomato basil chocolate cookies pie
        dinner
        """
    ),
    "travel": _words(
        """
        itinerary beach mountains island city guide hotel cabin roadtrip hiking trail lake
        coast village market museum passport backpack sunset vineyard castle harbor desert
        lighthouse
        """
    ),
    "gardening": _words(
        """
        garden herbs tomatoes roses succulents raised beds compost seedlings lavender
        hydrangea balcony planter trellis pollinator vegetable orchard tulips peonies mulch
        greenhouse shade border container
        """
    ),
    "fitness": _words(
        """
        workout yoga pilates stretching running strength core routine cardio mobility
        kettlebell dumbbell squat plank meditation habit hydration recovery marathon cycling
        swimming posture balance breath
        """
    ),
    "diy crafts": _words(
        """
        macrame embroidery knitting crochet pottery woodworking painting calligraphy
        quilting candles soap wreath garland stencil resin watercolor origami upcycled
        furniture frame basket weaving clay paper
        """
    ),
    "weddings": _words(
        """
        wedding bouquet bride veil invitation centerpiece reception ceremony aisle arch cake
        favors bridesmaid tuxedo venue garden elopement rings florals tablescape signage
        dance toast honeymoon
        """
    ),
    "beauty": _words(
        """
        skincare serum moisturizer cleanser lipstick mascara eyeliner blush highlighter
        hairstyle braid curls manicure nail fragrance sunscreen mask toner brows glow balm
        bun ponytail palette
        """
    ),
    "kids": _words(
        """
        nursery playroom toys crafts lunchbox birthday party storybook puzzle blocks crayons
        backpack bedtime learning alphabet science picnic costume sandbox treehouse games
        snacks chores reading
        """
    ),
}

CONTEXTS: dict[str, tuple[str, ...]] = {
    "fashion": _phrases(
        """
        for fall
        for work
        for travel
        on a budget
        for petite frames
        for weekend brunch
        for date night
        for the office
        """
    ),
    "home decor": _phrases(
        """
        for small spaces
        for renters
        on a budget
        for a calm home
        for the holidays
        for open shelving
        for a reading nook
        for apartment living
        """
    ),
    "recipes": _phrases(
        """
        for weeknight dinners
        for meal prep
        in thirty minutes
        for a crowd
        for picnics
        for busy mornings
        for the holidays
        with pantry staples
        """
    ),
    "travel": _phrases(
        """
        in seven days
        on a budget
        for families
        off the beaten path
        for first timers
        in the off season
        by train
        for food lovers
        """
    ),
    "gardening": _phrases(
        """
        for beginners
        in small yards
        on a balcony
        for shade
        for pollinators
        in containers
        for cold climates
        all year
        """
    ),
    "fitness": _phrases(
        """
        for beginners
        at home
        in twenty minutes
        without equipment
        for runners
        for better sleep
        for busy mornings
        for strong backs
        """
    ),
    "diy crafts": _phrases(
        """
        for beginners
        with kids
        for gifts
        on a budget
        for the holidays
        in one afternoon
        with scrap fabric
        for a cozy home
        """
    ),
    "weddings": _phrases(
        """
        for summer weddings
        on a budget
        for small venues
        for outdoor days
        for winter weddings
        for the reception
        for intimate ceremonies
        for garden parties
        """
    ),
    "beauty": _phrases(
        """
        for dry skin
        for beginners
        in five minutes
        for summer
        for sensitive skin
        for curly hair
        for everyday wear
        for evenings
        """
    ),
    "kids": _phrases(
        """
        for toddlers
        for rainy days
        for summer break
        on a budget
        for small rooms
        for birthday parties
        for road trips
        for quiet time
        """
    ),
}

SURFACES: tuple[str, ...] = _phrases(
    """
    a wooden table
    a linen cloth
    a marble counter
    a sunny windowsill
    a white background
    a woven rug
    a garden bench
    a kitchen shelf
    """
)

BRANDS: tuple[str, ...] = _words(
    """
    lumen harbor willow juniper meadow copper fable marlow ember sage linden hollow
    bramble cedar aster quill saffron tidewater orchid fern
    """
)

BUSINESS_SUFFIXES: tuple[str, ...] = _phrases(
    """
    home goods
    kitchen
    studio
    outfitters
    botanicals
    travel co
    atelier
    supply
    collective
    market
    """
)

THEME_NAMES: tuple[str, ...] = tuple(THEMES)

_ADJ_N = len(ADJECTIVES)
_SURF_N = len(SURFACES)


@dataclass(frozen=True)
class Words:
    """Text composed from one random integer and a theme.

    Each property slices different bits of `bits`, so one `getrandbits(64)` call gives
    every text field of a record.
    """

    bits: int
    theme: str

    def _noun(self, shift: int) -> str:
        nouns = THEMES[self.theme]
        return nouns[(self.bits >> shift) % len(nouns)]

    @property
    def adjective(self) -> str:
        return ADJECTIVES[self.bits % _ADJ_N]

    @property
    def adjective2(self) -> str:
        return ADJECTIVES[(self.bits >> 40) % _ADJ_N]

    @property
    def noun(self) -> str:
        return self._noun(8)

    @property
    def noun2(self) -> str:
        nouns = THEMES[self.theme]
        i, j = (self.bits >> 8) % len(nouns), (self.bits >> 16) % len(nouns)
        return nouns[(j + 1) % len(nouns)] if i == j else nouns[j]

    @property
    def noun3(self) -> str:
        return self._noun(48)

    @property
    def context(self) -> str:
        contexts = CONTEXTS[self.theme]
        return contexts[(self.bits >> 24) % len(contexts)]

    @property
    def surface(self) -> str:
        return SURFACES[(self.bits >> 32) % _SURF_N]

    def title(self) -> str:
        """A pin-like title, e.g. 'Cozy linen throw for small spaces'."""
        return f"{self.adjective.capitalize()} {self.noun} {self.noun2} {self.context}"

    def name(self) -> str:
        """A short name, e.g. 'Rustic kitchen ideas'."""
        return f"{self.adjective.capitalize()} {self.noun} {self.noun3}"

    def description(self) -> str:
        return (
            f"{self.adjective.capitalize()} {self.noun} ideas {self.context}. "
            f"Pair a {self.adjective2} {self.noun2} with {self.noun3} "
            f"for a look that feels {self.adjective} and {self.adjective2}."
        )

    def alt_text(self) -> str:
        return f"A {self.adjective} {self.noun} and {self.noun2} on {self.surface}"

    def phrase(self) -> str:
        """A search-keyword-like phrase, e.g. 'linen throw'."""
        return f"{self.adjective} {self.noun} {self.noun2}"

    def slug(self) -> str:
        return f"{self.adjective}-{self.noun}-{self.noun2}".replace(" ", "-")


def brand(index: int) -> str:
    return BRANDS[index % len(BRANDS)]


def business_name(index: int) -> str:
    suffix = BUSINESS_SUFFIXES[(index // len(BRANDS)) % len(BUSINESS_SUFFIXES)]
    return f"{brand(index).capitalize()} {suffix.title()}"


def domain(index: int) -> str:
    """A fictional shop domain under example.com (never a real business)."""
    return f"{brand(index)}.example.com"
