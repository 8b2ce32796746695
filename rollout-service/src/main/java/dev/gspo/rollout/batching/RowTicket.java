package dev.gspo.rollout.batching;

import dev.gspo.common.decode.SequenceRequest;

/** Row {@code row} of a request, admitted into the running batch. */
record RowTicket(PendingRollout request, int row) {
    SequenceRequest sequence() {
        return request.rows().get(row);
    }
}
