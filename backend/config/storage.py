"""Static files named by a hash of their content once collected, and by their own names before."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedWhenCollected(CompressedManifestStaticFilesStorage):
    """After `collectstatic` (make run, the image): hashed, compressed names from its manifest,
    which WhiteNoise caches for a year. Before it (tests, a plain checkout): the files' own
    names, served from the installed apps, instead of Django's error for a missing manifest."""

    manifest_strict = False

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # nothing collected (no manifest): the plain name
            return name
        return super().stored_name(name)
