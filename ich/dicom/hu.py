"""Hounsfield units as the pipeline keeps them: from air up, as 12-bit codes (HU + 1024)."""

AIR_HU = -1024
CODE_MAX = 4095  # HU codes: HU + 1024, clipped to the 12-bit range
# Beyond this nothing is anatomy: extreme 16-bit values are clipped. HU + 1024 fits 12 bits.
HU_RANGE = (AIR_HU, AIR_HU + CODE_MAX)
