"""One adapter per LLM SDK, all behind the :class:`~shared.providers.base.Provider` port."""
