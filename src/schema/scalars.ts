// Custom scalars: DateTime is an ISO-8601 string on the wire and a Date in resolvers; SafeInt an
// integer beyond Int's 32 bits (byte counts), a JSON number; File is a
// file part of a GraphQL multipart request (input only).
import { GraphQLError } from 'graphql';
import { DateTimeISOResolver, SafeIntResolver } from 'graphql-scalars';
import { builder } from './builder.ts';
import { UploadedFile } from '../http/multipart.ts';

builder.addScalarType('DateTime', DateTimeISOResolver, {});
builder.addScalarType('SafeInt', SafeIntResolver, {});

builder.scalarType('File', {
  description:
    'A file sent with a GraphQL multipart request (github.com/jaydenseric/graphql-multipart-request-spec): ' +
    'the variable is null in the `operations` field and the `map` field points a file part at it. Input only.',
  serialize: () => {
    throw new GraphQLError('File is an input-only type.');
  },
  parseValue: (value) => {
    if (value instanceof UploadedFile) return value;
    throw new GraphQLError('Expected a file: send it as a part of a multipart request (see the File type).');
  },
  parseLiteral: () => {
    throw new GraphQLError('A file cannot be written in the query: send it as a part of a multipart request.');
  },
});
