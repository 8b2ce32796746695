package dev.gspo.rollout.api;

/** A prompt after validation: its id (given or its index) and the token ids the policy will see. */
record PlannedPrompt(String id, int[] tokenIds) {}
