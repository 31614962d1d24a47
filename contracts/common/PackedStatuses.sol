// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title PackedStatuses
/// @notice 2-bit entries packed 128 to a storage word (after OpenZeppelin `BitMaps`): entry
/// `index` is bits [2 * (index % 128), 2 * (index % 128) + 2) of word `index / 128`. A list of
/// never-written entries costs no storage and reads as 0.
library PackedStatuses {
    /// @notice Entries per storage word.
    uint256 internal constant PER_WORD = 128;

    /// @dev Wraps the words so that only this library addresses them.
    struct Map {
        mapping(uint256 wordIndex => uint256 word) _words;
    }

    /// @dev The entry at `index`.
    function get(Map storage map, uint256 index) internal view returns (uint8) {
        return uint8((map._words[index >> 7] >> ((index & 127) << 1)) & 3);
    }

    /// @dev Set the entry at `index` to `value` (its low 2 bits) and return the entry it
    /// replaced, read from the word the write loads anyway (a caller's check on it costs no
    /// extra storage read; a revert after it undoes the write).
    function set(Map storage map, uint256 index, uint8 value) internal returns (uint8 previous) {
        uint256 shift = (index & 127) << 1;
        uint256 wordIndex = index >> 7;
        uint256 packed = map._words[wordIndex];
        previous = uint8((packed >> shift) & 3);
        map._words[wordIndex] = (packed & ~(uint256(3) << shift)) | (uint256(value & 3) << shift);
    }

    /// @dev The raw storage word `wordIndex` (entries 128 * wordIndex .. 128 * wordIndex + 127).
    function word(Map storage map, uint256 wordIndex) internal view returns (uint256) {
        return map._words[wordIndex];
    }
}
