// The app identity's one role on its Content Safety account: Cognitive Services User
// (data-plane calls such as text:analyze with an Entra token; no key listing, no management).

@description('Content Safety account name.')
param contentSafetyAccountName string

@description('Object id of the app system-assigned identity.')
param principalId string

// Cognitive Services User (built-in).
var cognitiveServicesUserRoleId = 'a97b65f3-24c7-4388-baec-2e87135dc908'

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: contentSafetyAccountName
}

resource analyze 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, cognitiveServicesUserRoleId)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
