package dev.gspo.optimizer.loop;

import java.time.Instant;

/**
 * The latest weight push that a replica did not take ({@code GET /v1/runs/{id}}: {@code lastPublishError}).
 *
 * @param version the policy version that was pushed
 * @param replica the replica's base URL
 * @param error   why: the replica's problem {@code detail} with its HTTP status, or the transport error
 */
public record PublishError(long version, String replica, String error, Instant at) {}
