import { withoutPassword } from '../../src/secrets';

describe('withoutPassword', () => {
  it.each([
    [
      'mongodb://fgbots:s3cr%40t@db:27017/app?authSource=admin',
      'mongodb://fgbots:***@db:27017/app?authSource=admin',
    ],
    ['mongodb+srv://user:pw@cluster0.example.net/app', 'mongodb+srv://user:***@cluster0.example.net/app'],
    ['mongodb://u:pw@h1:1,h2:2/app', 'mongodb://u:***@h1:1,h2:2/app'],
  ])('masks the password of %s', (uri, masked) => {
    expect(withoutPassword(uri)).toBe(masked);
  });

  it.each(['mongodb://127.0.0.1:27017/app', 'mongodb://user@db/app', 'http://127.0.0.1:8000'])(
    'leaves %s as it is',
    (uri) => {
      expect(withoutPassword(uri)).toBe(uri);
    },
  );
});
