export { LogSink, readJsonLines } from './logs.js';
export { connectRedis, deleteKeys, freePort, type PrivateRedis, redisUrl, startPrivateRedis } from './redis.js';
export { type GraphQLHttpResponse, portOf, postGraphQL, startTestServer, type TestServer } from './server.js';
