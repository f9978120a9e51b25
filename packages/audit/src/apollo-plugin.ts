/**
 * The Apollo plugin of an audit trail: opens the writer when the server starts and closes it when it
 * stops, and writes the records of each request through {@link OperationRecords}. With `failClosed`,
 * an operation whose start record cannot be written is refused before it runs, and a response whose
 * record cannot be written is replaced by the 503 refusal.
 */
import type {
  ApolloServerPlugin,
  BaseContext,
  GraphQLRequestContext,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
} from '@apollo/server';
import { ErrorCode, ensureSecurityState, HOOK_DONE, type SynchronousStartPlugin } from '@rampart/core';
import type { AuditTrailContext } from './audit-context.js';
import { auditUnavailableError, type OperationAudit, rootFieldsOf } from './internals.js';
import type { OperationRecords } from './operation-records.js';

/** Records the resolved operation; with `failClosed`, throws the refusal when its start record is not written. */
function admitOperation(
  context: AuditTrailContext,
  records: OperationRecords,
  rc: GraphQLRequestContextDidResolveOperation<BaseContext>,
  op: OperationAudit,
): Promise<void> {
  if (!rc.operation) return HOOK_DONE;
  op.operationType = rc.operation.operation;
  op.operationName = rc.operationName ?? undefined;
  op.queryHash = rc.queryHash;
  op.rootFields = rootFieldsOf(rc.operation, rc.schema, rc.document);
  if (!context.options.failClosed) return HOOK_DONE;
  return writeStartRecord(context, records, rc, op);
}

/** `failClosed`: the operation's start record, written (and, with group commit, on disk) before it runs. */
async function writeStartRecord(
  context: AuditTrailContext,
  records: OperationRecords,
  rc: GraphQLRequestContextDidResolveOperation<BaseContext>,
  op: OperationAudit,
): Promise<void> {
  let ok = false;
  try {
    ok = records.write(rc, op, 'graphql.operation.start', 'start');
    // Group commit: wait for this turn's write (shared by every request of the turn).
    if (ok && context.writer().grouped) ok = await context.writer().whenWritten();
  } catch (e) {
    context.options.onWriteError?.(e as Error);
  }
  if (!ok) throw auditUnavailableError();
}

/** Writes the operation's record; with `failClosed`, replaces the response when it is not written. */
function recordResponse(
  context: AuditTrailContext,
  records: OperationRecords,
  rc: GraphQLRequestContextWillSendResponse<BaseContext>,
  op: OperationAudit,
): Promise<void> {
  if (context.options.failClosed) return recordResponseFailClosed(context, records, rc, op);
  try {
    records.write(rc, op, 'graphql.operation', 'end');
  } catch (e) {
    context.options.onWriteError?.(e as Error);
  }
  return HOOK_DONE;
}

/** `failClosed`: the operation's record, or the 503 refusal in place of the response when it is not written. */
async function recordResponseFailClosed(
  context: AuditTrailContext,
  records: OperationRecords,
  rc: GraphQLRequestContextWillSendResponse<BaseContext>,
  op: OperationAudit,
): Promise<void> {
  const { options } = context;
  let ok = false;
  try {
    ok = records.write(rc, op, 'graphql.operation', 'end');
    if (ok && context.writer().grouped) ok = await context.writer().whenWritten();
  } catch (e) {
    options.onWriteError?.(e as Error);
  }
  if (!ok) {
    const error = auditUnavailableError();
    rc.response.body = {
      kind: 'single',
      singleResult: {
        errors: [{ message: error.message, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }],
      },
    };
    rc.response.http.status = 503;
  }
}

/** The Apollo plugin of the trail (an empty plugin when auditing is off). Runs last among Rampart plugins. */
export function createAuditApolloPlugin(
  context: AuditTrailContext,
  records: OperationRecords,
): ApolloServerPlugin<BaseContext> {
  if (!context.options.enabled) return {};
  const startRequest = (rc: GraphQLRequestContext<BaseContext>): GraphQLRequestListener<BaseContext> => {
    const op = records.begin(rc, ensureSecurityState(rc.contextValue as object));
    return {
      didResolveOperation: (resolved) => admitOperation(context, records, resolved, op),
      willSendResponse: (response) => recordResponse(context, records, response, op),
    };
  };
  const plugin: SynchronousStartPlugin = {
    async serverWillStart() {
      context.writer();
      return {
        async serverWillStop() {
          await context.closeWriter();
        },
      };
    },
    async contextCreationDidFail({ error }) {
      records.writeContextFailure(error);
    },
    async invalidRequestWasReceived() {
      records.writeInvalidRequest();
    },
    startRequest,
    async requestDidStart(rc) {
      return startRequest(rc);
    },
  };
  return plugin;
}
