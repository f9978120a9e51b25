export { postGraphQL, portOf, startTestServer, type GraphQLHttpResponse, type TestServer } from './server.js';
export { LogSink, readJsonLines } from './logs.js';
export { connectRedis, deleteKeys, freePort, redisUrl, startPrivateRedis, type PrivateRedis } from './redis.js';
